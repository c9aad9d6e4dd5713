import {PHI_CATEGORIES, type PhiCategory, type PhiSpan} from './categories.js'
import {isCommonWord} from './rules/index.js'

// Identifiers whose every other occurrence in the text is the same identifier.
const REPEATED_EXACTLY = new Set<PhiCategory>(['mrn', 'ssn', 'health_plan', 'account', 'license', 'vehicle', 'device', 'id', 'email', 'url', 'ip', 'phone', 'fax'])
// Names and places recur in other case (`brian` in a lower-cased dialogue) and in parts (`Mr. Lopez` after `Ana Lopez`).
const REPEATED_AS_WORDS = new Set<PhiCategory>(['name', 'location', 'organization'])

/**
 * Adds the other mentions of what was found: every whole-word occurrence of an identifier, and for names and places
 * also of each of their words of three letters or more that is not a common word, in any case. A name caught once
 * after a cue (`Patient: Ana Lopez`) is then caught where the text says only `Lopez` or `ana`.
 */
export function propagateSpans(text: string, spans: readonly PhiSpan[]): PhiSpan[] {
  const added: PhiSpan[] = [...spans]
  const seen = new Set<string>()
  const addAll = (needle: string, span: PhiSpan, ignoreCase: boolean): void => {
    const key = `${span.category}\u0000${ignoreCase ? needle.toLowerCase() : needle}`
    if (seen.has(key)) return
    seen.add(key)
    const escaped = needle.replaceAll(/[.*+?^${}()|[\]\\]/g, String.raw`\$&`)
    const pattern = new RegExp(String.raw`(?<![\p{L}\p{N}])${escaped}(?![\p{L}\p{N}])`, ignoreCase ? 'giu' : 'gu')
    for (const match of text.matchAll(pattern)) added.push({category: span.category, start: match.index, end: match.index + match[0].length, source: span.source})
  }

  for (const span of spans) {
    const value = text.slice(span.start, span.end)
    if (REPEATED_EXACTLY.has(span.category)) addAll(value, span, false)
    if (!REPEATED_AS_WORDS.has(span.category)) continue
    addAll(value, span, true)
    for (const word of value.match(/[\p{L}][\p{L}'’-]*[\p{L}]/gu) ?? []) if (word.length >= 3 && !isCommonWord(word)) addAll(word, span, true)
  }

  return added
}

/**
 * Resolves overlaps: spans that overlap (or touch inside a word) become one span covering all of them, so that no
 * part of any identifier survives. The merged span takes the category and source of its longest member; on a tie a
 * rule wins over the model, then the earlier category of {@link PHI_CATEGORIES}. Returns spans sorted by start,
 * disjoint.
 */
export function mergeSpans(spans: readonly PhiSpan[]): PhiSpan[] {
  const sorted = spans.filter((span) => span.end > span.start).sort((a, b) => a.start - b.start || b.end - a.end)
  const merged: PhiSpan[] = []
  let group: PhiSpan[] = []
  let groupEnd = -1
  const flush = (): void => {
    if (group.length === 0) return
    const best = group.reduce((a, b) => (better(b, a) ? b : a))
    merged.push({category: best.category, source: best.source, start: group[0].start, end: groupEnd})
    group = []
  }

  for (const span of sorted) {
    if (span.start >= groupEnd) flush()
    group.push(span)
    groupEnd = Math.max(groupEnd, span.end)
  }

  flush()
  return merged
}

function better(a: PhiSpan, b: PhiSpan): boolean {
  const length = a.end - a.start - (b.end - b.start)
  if (length !== 0) return length > 0
  if (a.source !== b.source) return a.source === 'rule'
  return PHI_CATEGORIES.indexOf(a.category) < PHI_CATEGORIES.indexOf(b.category)
}
