import type {PhiSpan} from '../categories.js'
import {findEmails, findIpAddresses, findPhones, findUrls} from './contacts.js'
import {findDates, loadDateParser} from './dates.js'
import {DEFAULT_ID_PATTERNS, findIds, type IdPattern} from './ids.js'
import {findCuedNames} from './names.js'
import {findAddresses, findAges, findZipsAndCities} from './places.js'

export {DEFAULT_ID_PATTERNS, parseIdPattern} from './ids.js'
export type {IdPattern} from './ids.js'
export {isCommonWord} from './names.js'

/** Options of {@link createRuleDetector}. */
export interface RuleDetectorOptions {
  /** Identifier patterns used in addition to {@link DEFAULT_ID_PATTERNS}; default none. */
  idPatterns?: readonly IdPattern[]
}

/** Finds the PHI spans the rules know in one text (unmerged: spans may overlap). */
export type RuleDetector = (text: string) => PhiSpan[]

/**
 * Creates the deterministic detector: dates (chrono-node plus numeric patterns), ages over 89, phone and fax
 * numbers, emails, URLs, IP addresses, SSNs and cued identifiers (MRN, health plan, account, licence, vehicle,
 * device, plus the caller's patterns), street addresses, ZIP codes, `City, ST` places, and names after a cue.
 * Async only because chrono-node loads lazily.
 */
export async function createRuleDetector(options: RuleDetectorOptions = {}): Promise<RuleDetector> {
  const parser = await loadDateParser()
  const patterns = [...DEFAULT_ID_PATTERNS, ...(options.idPatterns ?? [])]
  return (text) =>
    [
      ...findDates(text, parser),
      ...findAges(text),
      ...findPhones(text),
      ...findEmails(text),
      ...findUrls(text),
      ...findIpAddresses(text),
      ...findIds(text, patterns),
      ...findAddresses(text),
      ...findZipsAndCities(text),
      ...findCuedNames(text),
    ].map((match) => ({...match, source: 'rule' as const}))
}
