import {createHmac, randomBytes} from 'node:crypto'

/** The secret every keyed choice of a run derives from: surrogates, date offsets and hashes. */
export type DeidKey = Buffer

/** A fresh random key, for a run without `--key-file` (its surrogates and offsets then differ from other runs'). */
export function randomKey(): DeidKey {
  return randomBytes(32)
}

/** HMAC-SHA256 of the parts (joined by NUL, so that `a`+`bc` and `ab`+`c` differ), hex. */
export function keyedHex(key: DeidKey, ...parts: string[]): string {
  return createHmac('sha256', key).update(parts.join('\u0000')).digest('hex')
}

/** A 32-bit seed from the keyed HMAC of the parts. */
export function keyedSeed(key: DeidKey, ...parts: string[]): number {
  return Number.parseInt(keyedHex(key, ...parts).slice(0, 8), 16)
}

/** Most days a date is moved by `date-shift` and `surrogate`, either way. */
export const MAX_SHIFT_DAYS = 365

/**
 * The patient's date offset in days: from 1 to {@link MAX_SHIFT_DAYS} earlier or later, never 0, the same for every
 * record of the patient under one key, so that intervals between the patient's dates are kept.
 */
export function dayOffset(key: DeidKey, patient: string): number {
  const seed = keyedSeed(key, 'date-shift', patient)
  const days = (seed % MAX_SHIFT_DAYS) + 1
  return seed & 0x8000_0000 ? -days : days
}

/** An identifier as compared for consistency: case and runs of whitespace do not make it another one. */
export function normalizeIdentifier(value: string): string {
  return value.toLowerCase().replaceAll(/\s+/g, ' ').trim()
}
