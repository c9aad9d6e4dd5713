import type {Faker} from '@faker-js/faker'

import type {PhiCategory, PhiSpan} from './categories.js'
import {shiftDate} from './date-shift.js'
import {keyedHex, keyedSeed, normalizeIdentifier, type DeidKey} from './keys.js'
import {drawSurrogate} from './surrogate.js'

/** How PHI is replaced. */
export const DEID_MODES = ['mask', 'redact', 'surrogate', 'hash', 'date-shift'] as const

/** One of {@link DEID_MODES}. */
export type DeidMode = (typeof DEID_MODES)[number]

/** What a replacement needs besides the text: the key, the patient, faker (surrogate), the patient's day offset. */
export interface ReplaceContext {
  mode: DeidMode
  key: DeidKey
  /** The patient the record belongs to (`--patient-field`), or the record itself when there is none. */
  patient: string
  /** The patient's date offset in days (surrogate and date-shift). */
  dayOffset: number
  /** Required for `surrogate`. */
  faker?: Faker
}

/** A PHI span of the output: where it was in the source and where its replacement is in `deidText`. */
export interface DeidSpan extends PhiSpan {
  /** `deidText.slice(deidStart, deidEnd)` is the replacement. */
  deidStart: number
  deidEnd: number
}

/** One original and what replaced it: a line of the re-identification map, and nothing else may hold it. */
export interface Replacement {
  category: PhiCategory
  start: number
  end: number
  original: string
  replacement: string
}

/** The de-identified text, its spans and the replacements made. */
export interface DeidOutput {
  deidText: string
  spans: DeidSpan[]
  replacements: Replacement[]
}

/**
 * Replaces each span (disjoint and sorted, as `mergeSpans` returns them) of `text`:
 * - `mask`: the category in brackets, `[NAME]`;
 * - `redact`: `[REDACTED]`, whatever the category;
 * - `surrogate`: a realistic stand-in, the same for the same original (case and spacing aside) and category within a
 *   patient under one key, different across patients; dates are shifted by the patient's offset, keeping the format;
 * - `hash`: `[NAME:` + the first 16 hex digits of HMAC-SHA256(key, category, original) + `]`, the same across
 *   patients, so that records can be linked without the identifier;
 * - `date-shift`: dates shifted by the patient's offset (format and intervals kept), everything else masked.
 * A date that cannot be read for shifting is masked.
 */
export function replaceSpans(text: string, spans: readonly PhiSpan[], context: ReplaceContext): DeidOutput {
  let deidText = ''
  let at = 0
  const out: DeidSpan[] = []
  const replacements: Replacement[] = []
  const names = {givenNames: givenNamesOf(text, spans)}
  for (const span of spans) {
    deidText += text.slice(at, span.start)
    const original = text.slice(span.start, span.end)
    const replacement = replacementFor(span.category, original, {...context, ...names})
    out.push({...span, deidStart: deidText.length, deidEnd: deidText.length + replacement.length})
    replacements.push({category: span.category, start: span.start, end: span.end, original, replacement})
    deidText += replacement
    at = span.end
  }

  deidText += text.slice(at)
  return {deidText, spans: out, replacements}
}

/** Words that open a name of several words in this text (`Ana` of `Ana Lopez`): alone, they stay given names. */
function givenNamesOf(text: string, spans: readonly PhiSpan[]): Set<string> {
  const given = new Set<string>()
  for (const span of spans) {
    const words = span.category === 'name' ? text.slice(span.start, span.end).match(/[\p{L}][\p{L}'’-]*/gu) : null
    if (words && words.length > 1) given.add(normalizeIdentifier(words[0]))
  }

  return given
}

function replacementFor(category: PhiCategory, original: string, context: ReplaceContext & {givenNames: ReadonlySet<string>}): string {
  const mask = `[${category.toUpperCase()}]`
  switch (context.mode) {
    case 'mask': {
      return mask
    }

    case 'redact': {
      return '[REDACTED]'
    }

    case 'hash': {
      return `[${category.toUpperCase()}:${keyedHex(context.key, 'hash', category, normalizeIdentifier(original)).slice(0, 16)}]`
    }

    case 'date-shift': {
      return category === 'date' ? (shiftDate(original, context.dayOffset) ?? mask) : mask
    }

    case 'surrogate': {
      if (category === 'date') return shiftDate(original, context.dayOffset) ?? mask
      if (!context.faker) throw new Error('surrogate mode needs faker')
      const {key, patient} = context
      const seed = keyedSeed(key, 'surrogate', patient, category, normalizeIdentifier(original))
      const wordSeed = (word: string): number => keyedSeed(key, 'surrogate-word', patient, normalizeIdentifier(word))
      // A lone name word is a surname (`Mr. Lopez`, `Lopez is stable`) unless this text also opens a name with it.
      const isGivenName = (word: string, first: boolean, words: number): boolean =>
        first && (words > 1 || context.givenNames.has(normalizeIdentifier(word)))
      return drawSurrogate(context.faker, category, original, seed, wordSeed, isGivenName) ?? mask
    }
  }
}
