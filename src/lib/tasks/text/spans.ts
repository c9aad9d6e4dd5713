/**
 * A range of a source string in JavaScript string indices (UTF-16 code units): `source.slice(start, end)`.
 * Offsets never split a surrogate pair.
 */
export interface TextSpan {
  start: number
  end: number
}

/** A span found in the source, with its text exactly as it is there. */
export interface AlignedSpan extends TextSpan {
  /** Always `source.slice(start, end)`. */
  text: string
}

/** Finds proposed strings in one source text; see {@link createSpanAligner}. */
export interface SpanAligner {
  /** The source span of the next unclaimed mention of `proposal` (and claims it), or undefined when it is not in the source. */
  find(proposal: string): AlignedSpan | undefined
  /** The source span of the first mention of `proposal`, claimed or not, without claiming it (for quotes cited more than once). */
  locate(proposal: string): AlignedSpan | undefined
}

/** A string folded for matching, with the source range of every folded code unit. */
interface Folded {
  text: string
  starts: number[]
  ends: number[]
}

const WHITESPACE = /\s/u
const WORD = /[\p{L}\p{N}]/u

/**
 * Folds text for tolerant matching: lower case, and every run of whitespace becomes one space. Each folded
 * code unit remembers which source code point (or whitespace run) it came from, so a match in folded text maps
 * back to an exact source span.
 */
function fold(source: string): Folded {
  let text = ''
  const starts: number[] = []
  const ends: number[] = []
  let i = 0
  while (i < source.length) {
    const char = String.fromCodePoint(source.codePointAt(i)!)
    if (WHITESPACE.test(char)) {
      let j = i + char.length
      while (j < source.length && WHITESPACE.test(source[j])) j++
      text += ' '
      starts.push(i)
      ends.push(j)
      i = j
      continue
    }

    // Lower-casing may change the length ('İ' becomes two code units); every unit maps to the whole code point.
    const lower = char.toLowerCase()
    for (let k = 0; k < lower.length; k++) {
      starts.push(i)
      ends.push(i + char.length)
    }

    text += lower
    i += char.length
  }

  return {text, starts, ends}
}

/** Whether a proposal can be a mention at all: it must hold a letter or a digit. */
export function isMentionLike(text: string): boolean {
  return WORD.test(text)
}

/**
 * Creates an aligner that maps strings a model proposed back to exact spans of `source`.
 *
 * - Matching tolerates differences of case and of whitespace (a run of spaces, tabs or newlines matches any
 *   other run); leading and trailing whitespace of a proposal is ignored. The reported text is the source's own.
 * - Repeated mentions are resolved in order: the n-th proposal of the same (folded) string claims the n-th
 *   occurrence in the source; a proposal with no occurrence left is not found.
 * - An occurrence that starts and ends on word boundaries is preferred over one inside a longer word
 *   (`pain` claims the word `pain` rather than the start of `painful`).
 * - Different proposals may overlap (`chest pain` and `pain`).
 * - Proposals without a letter or digit are never found.
 *
 * Invariant: for every span returned, `span.text === source.slice(span.start, span.end)` and `start < end`.
 */
export function createSpanAligner(source: string): SpanAligner {
  const folded = fold(source)
  const cursors = new Map<string, number>()

  const atBoundaries = (start: number, end: number): boolean => {
    const before = start > 0 ? lastCodePoint(source, start) : ''
    const first = String.fromCodePoint(source.codePointAt(start)!)
    const last = lastCodePoint(source, end)
    const after = end < source.length ? String.fromCodePoint(source.codePointAt(end)!) : ''
    const joinsBefore = before !== '' && WORD.test(before) && WORD.test(first)
    const joinsAfter = after !== '' && WORD.test(after) && WORD.test(last)
    return !joinsBefore && !joinsAfter
  }

  const search = (proposal: string, claim: boolean): AlignedSpan | undefined => {
    const key = fold(proposal.trim()).text
    if (key === '' || !isMentionLike(key)) return undefined
    const from = claim ? (cursors.get(key) ?? 0) : 0
    let chosen: {index: number; span: TextSpan} | undefined
    for (let index = folded.text.indexOf(key, from); index !== -1; index = folded.text.indexOf(key, index + 1)) {
      const span = {start: folded.starts[index], end: folded.ends[index + key.length - 1]}
      if (atBoundaries(span.start, span.end)) {
        chosen = {index, span}
        break
      }

      chosen ??= {index, span}
    }

    if (!chosen) return undefined
    if (claim) cursors.set(key, chosen.index + key.length)
    const {start, end} = trimSpan(source, chosen.span)
    return {start, end, text: source.slice(start, end)}
  }

  return {
    find: (proposal) => search(proposal, true),
    locate: (proposal) => search(proposal, false),
  }
}

/**
 * Aligns a list of proposals in order (see {@link createSpanAligner}); entries not in the source are undefined.
 */
export function alignSpans(source: string, proposals: readonly string[]): Array<AlignedSpan | undefined> {
  const aligner = createSpanAligner(source)
  return proposals.map((proposal) => aligner.find(proposal))
}

/** The span without whitespace at either end (a folded match can begin or end on a collapsed whitespace run). */
export function trimSpan(source: string, span: TextSpan): TextSpan {
  let {start, end} = span
  while (start < end && WHITESPACE.test(source[start])) start++
  while (end > start && WHITESPACE.test(source[end - 1])) end--
  return {start, end}
}

function lastCodePoint(source: string, end: number): string {
  const code = source.charCodeAt(end - 1)
  const isLowSurrogate = code >= 0xdc00 && code <= 0xdfff
  return isLowSurrogate && end >= 2 ? source.slice(end - 2, end) : source.slice(end - 1, end)
}
