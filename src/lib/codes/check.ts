import {formatIcd10cmCode, normalizeIcd10cmCode, type CodeTable} from './icd10cm.js'

/**
 * How far a proposed code could be checked:
 * - `linked`: the code is in the user's table (never for a code the table lacks, so never for an invented one);
 * - `unverified`: the code is well formed but could not be confirmed, because no table was given or because the
 *   table has its category but not the code itself (a newer release, or a subset table);
 * - `rejected`: the code is malformed, or the table does not even have its category.
 */
export type CodeStatus = 'linked' | 'rejected' | 'unverified'

/** The outcome of checking one proposed code. */
export interface CodeCheck {
  system: 'icd10cm'
  /** The code: canonical (`E11.9`) when well formed, else as proposed (trimmed, upper case). */
  value: string
  status: CodeStatus
  /** The table's description, when linked. */
  description?: string
  /** Whether the table marks the code valid for submission, when linked. */
  billable?: boolean
}

/**
 * Checks a code a model proposed against the user's table (or, without a table, only its form). Dots and case do
 * not matter: `E11.9`, `e119` and `E119` are the same code. Returns undefined for an empty proposal (no code).
 */
export function checkIcd10cmCode(proposed: string, table?: CodeTable): CodeCheck | undefined {
  const raw = proposed.trim().toUpperCase()
  if (raw === '') return undefined
  const key = normalizeIcd10cmCode(raw)
  if (key === undefined) return {system: 'icd10cm', value: raw, status: 'rejected'}
  const value = formatIcd10cmCode(key)
  if (!table) return {system: 'icd10cm', value, status: 'unverified'}
  const entry = table.get(key)
  if (entry) return {system: 'icd10cm', value: entry.code, status: 'linked', description: entry.description, billable: entry.billable}
  return {system: 'icd10cm', value, status: table.hasCategory(key.slice(0, 3)) ? 'unverified' : 'rejected'}
}
