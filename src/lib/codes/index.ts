// Clinical code tables supplied by the user (ICD-10-CM order files) and checks of codes a model proposes.
export {checkIcd10cmCode} from './check.js'
export type {CodeCheck, CodeStatus} from './check.js'
export {formatIcd10cmCode, loadIcd10cmTable, normalizeIcd10cmCode, parseIcd10cmTable} from './icd10cm.js'
export type {CodeEntry, CodeTable} from './icd10cm.js'

/** Code systems `ner --link` knows. */
export const CODE_SYSTEMS = ['icd10cm'] as const

/** A code system `ner --link` knows. */
export type CodeSystem = (typeof CODE_SYSTEMS)[number]
