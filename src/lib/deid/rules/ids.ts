import type {PhiCategory} from '../categories.js'
import {matchesOf, type RuleMatch} from './types.js'

/**
 * A pattern of identifiers: a global regex whose group 1 (or whole match, without a group) is the identifier.
 * `--id-pattern CATEGORY=REGEX` adds one.
 */
export interface IdPattern {
  category: PhiCategory
  pattern: RegExp
}

// What may follow a cue before the value: `MRN: 123`, `MRN #123`, `member id is W123`, `acct no. 55-1`.
const GAP = String.raw`(?:\s*(?:number|num|no\.?|#|id)\b)?\s*(?:[:#=]|\bis\b)?\s*#?\s*`
// A value holds a digit and is 4 to 24 letters, digits and inner dashes.
const VALUE = String.raw`((?=[A-Za-z\d-]*\d)[A-Za-z\d](?:[A-Za-z\d-]{2,22}[A-Za-z\d]))\b`

function cued(category: PhiCategory, cues: string): IdPattern {
  return {category, pattern: new RegExp(String.raw`\b(?:${cues})${GAP}${VALUE}`, 'gi')}
}

/**
 * The built-in identifier patterns: numbers introduced by their usual cue (`MRN`, `member ID`, `acct #`, `DEA`,
 * `licence plate`, `serial number`, …), SSNs in the 3-2-4 form, and VINs (17 characters, no I, O or Q).
 */
export const DEFAULT_ID_PATTERNS: readonly IdPattern[] = [
  {category: 'ssn', pattern: /(?<![\d-])(\d{3}-\d{2}-\d{4})(?![\d-])/g},
  cued('ssn', String.raw`ssn|social\s+security(?:\s+(?:number|no\.?|#))?`),
  cued('mrn', String.raw`mrn|medical\s+record(?:\s+number)?|med\s+rec|chart|patient\s+id|hospital\s+(?:number|id)|mr`),
  cued(
    'health_plan',
    String.raw`member|policy|health\s+plan(?:\s+id)?|insurance|subscriber|beneficiary|medicaid|medicare|group\s+(?:number|no\.?)|plan`,
  ),
  cued('account', String.raw`account|acct\.?|billing`),
  cued('license', String.raw`licen[cs]e(?!\s+plate)|driver'?s\s+licen[cs]e|dl|dea|npi|certificate|cert\.?`),
  cued('vehicle', String.raw`licen[cs]e\s+plate|plate|vin|vehicle(?:\s+id)?`),
  {category: 'vehicle', pattern: /\b((?=[A-HJ-NPR-Z\d]*[A-HJ-NPR-Z])(?=[A-HJ-NPR-Z\d]*\d)[A-HJ-NPR-Z\d]{17})\b/g},
  cued('device', String.raw`serial|s\/n|device(?:\s+(?:id|serial))?|udi|implant(?:\s+(?:id|serial))?|lot`),
  cued('id', String.raw`identifier|ref(?:erence)?|case|specimen|accession|ticket|badge|employee`),
]

/**
 * Parses a user pattern `CATEGORY=REGEX` (the regex in JavaScript syntax, matched case-sensitively; group 1, when
 * present, is the identifier). Throws a RangeError with the reason for an unknown category or a bad regex.
 */
export function parseIdPattern(spec: string, isCategory: (name: string) => name is PhiCategory): IdPattern {
  const at = spec.indexOf('=')
  const category = spec.slice(0, at).trim()
  if (at <= 0 || !isCategory(category)) throw new RangeError(`expected CATEGORY=REGEX with a known category, got "${spec.slice(0, Math.max(at, 0))}"`)
  try {
    return {category, pattern: new RegExp(spec.slice(at + 1), 'g')}
  } catch (error) {
    throw new RangeError(`the regex of ${category} does not compile: ${(error as Error).message}`)
  }
}

/** Every identifier the patterns match. */
export function findIds(text: string, patterns: readonly IdPattern[]): RuleMatch[] {
  return patterns.flatMap(({category, pattern}) => matchesOf(text, pattern, category))
}
