// De-identification: PHI categories, the deterministic rules, overlap resolution and the replacement modes.
import type {PhiSpan} from './categories.js'
import {mergeSpans, propagateSpans} from './merge.js'

export {CATEGORY_DESCRIPTIONS, isPhiCategory, MODEL_CATEGORIES, PHI_CATEGORIES, RULE_CATEGORIES} from './categories.js'
export type {PhiCategory, PhiSource, PhiSpan} from './categories.js'
export {readDateValue, shiftDate} from './date-shift.js'
export {dayOffset, keyedHex, keyedSeed, MAX_SHIFT_DAYS, normalizeIdentifier, randomKey} from './keys.js'
export type {DeidKey} from './keys.js'
export {mergeSpans, propagateSpans} from './merge.js'
export {createRuleDetector, DEFAULT_ID_PATTERNS, isCommonWord, parseIdPattern} from './rules/index.js'
export type {IdPattern, RuleDetector, RuleDetectorOptions} from './rules/index.js'
export {drawSurrogate, loadFaker} from './surrogate.js'
export {DEID_MODES, replaceSpans} from './transform.js'
export type {DeidMode, DeidOutput, DeidSpan, ReplaceContext, Replacement} from './transform.js'

/**
 * The PHI of a text from both detectors: the rules' and the model's spans, every other mention of what they found
 * (see propagateSpans), overlaps merged (see mergeSpans). Sorted and disjoint.
 */
export function resolvePhi(text: string, spans: readonly PhiSpan[]): PhiSpan[] {
  return mergeSpans(propagateSpans(text, spans))
}
