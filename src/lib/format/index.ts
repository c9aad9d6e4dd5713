// Numbers in the short human forms every renderer and message shares: bytes, token counts.

/**
 * Which unit family a byte count is written in: `decimal` (kB, MB, GB: powers of 1000, as download tools and
 * disks count) or `binary` (MiB, GiB: powers of 1024, as memory is counted).
 */
export type ByteUnits = 'binary' | 'decimal'

const GIB = 1024 ** 3

/**
 * Bytes in a short human form. `decimal` (the default): `1.3 GB`, `540 kB`, `12 B`. `binary`: `5.1 GiB`, or
 * whole MiB below 1 GiB (`512 MiB`).
 */
export function formatBytes(bytes: number, units: ByteUnits = 'decimal'): string {
  if (units === 'binary') return bytes < GIB ? `${Math.round(bytes / 1024 ** 2)} MiB` : `${(bytes / GIB).toFixed(1)} GiB`
  const names = ['B', 'kB', 'MB', 'GB', 'TB', 'PB']
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1000 && unit < names.length - 1) {
    value /= 1000
    unit++
  }

  return unit === 0 ? `${value} B` : `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${names[unit]}`
}

/** Tokens as `8k` when a multiple of 1024, else the number. */
export function formatTokens(tokens: number): string {
  return tokens % 1024 === 0 ? `${tokens / 1024}k` : String(tokens)
}
