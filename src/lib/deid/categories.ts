/**
 * PHI categories: the HIPAA Safe Harbor identifiers (45 CFR 164.514(b)(2)), with geographic units split into
 * street addresses, ZIP codes and other places, and organisations added (a clinic's name often locates a patient).
 */
export const PHI_CATEGORIES = [
  'name',
  'address',
  'zip',
  'location',
  'organization',
  'date',
  'age',
  'phone',
  'fax',
  'email',
  'ssn',
  'mrn',
  'health_plan',
  'account',
  'license',
  'vehicle',
  'device',
  'url',
  'ip',
  'biometric',
  'photo',
  'id',
] as const

/** One PHI category. */
export type PhiCategory = (typeof PHI_CATEGORIES)[number]

/** The categories the deterministic rules find, and the only ones whose recall `bench --tasks deid` can promise. */
export const RULE_CATEGORIES = [
  'date',
  'age',
  'phone',
  'fax',
  'email',
  'ssn',
  'mrn',
  'health_plan',
  'account',
  'license',
  'vehicle',
  'device',
  'url',
  'ip',
  'zip',
  'address',
] as const satisfies readonly PhiCategory[]

/**
 * The categories the model is asked for. Names are also found by rules where a clinical cue introduces them
 * (`Patient: X`, `Dr. X`); the model adds the names without a cue.
 */
export const MODEL_CATEGORIES = ['name', 'location', 'organization', 'id', 'biometric', 'photo'] as const satisfies readonly PhiCategory[]

/** What each category covers, for prompts and help. */
export const CATEGORY_DESCRIPTIONS: Record<PhiCategory, string> = {
  name: 'names of patients, relatives, clinicians or anyone else',
  address: 'street addresses',
  zip: 'ZIP codes',
  location: 'cities, counties, towns and other places smaller than a state',
  organization: 'hospitals, clinics, employers and other organisations',
  date: 'dates and their parts except the year alone (birth, admission, discharge, death, visits)',
  age: 'ages over 89',
  phone: 'telephone numbers',
  fax: 'fax numbers',
  email: 'email addresses',
  ssn: 'social security numbers',
  mrn: 'medical record numbers',
  health_plan: 'health plan beneficiary and member numbers',
  account: 'account numbers',
  license: 'certificate and licence numbers',
  vehicle: 'vehicle identifiers and serial numbers, licence plates',
  device: 'device identifiers and serial numbers',
  url: 'web addresses (URLs)',
  ip: 'IP addresses',
  biometric: 'biometric identifiers (finger and voice prints)',
  photo: 'full-face photographs and comparable images',
  id: 'any other unique identifying number, characteristic or code',
}

/** Where a span came from: a deterministic rule, or the model. */
export type PhiSource = 'model' | 'rule'

/**
 * A PHI span of a source text. Invariant: `0 <= start < end <= source.length`, and `source.slice(start, end)` is the
 * identifier (offsets in JavaScript string indices, as every jsl-med span).
 */
export interface PhiSpan {
  category: PhiCategory
  start: number
  end: number
  source: PhiSource
}

/** Whether `value` names a category. */
export function isPhiCategory(value: unknown): value is PhiCategory {
  return typeof value === 'string' && (PHI_CATEGORIES as readonly string[]).includes(value)
}
