/** Mixes a seed and a stream index into a well-spread 32-bit seed (murmur3 finalizer), one stream per tensor. */
export function mixSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** mulberry32: returns a generator of uniform uint32 values. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return (t ^ (t >>> 14)) >>> 0
  }
}

/** Fills `out` with seeded uniform noise of the given mean and standard deviation (mulberry32 inlined for speed). */
export function fillUniform(out: Float32Array, seed: number, mean: number, std: number): void {
  const scale = (2 * std * Math.sqrt(3)) / 4294967296
  const low = mean - std * Math.sqrt(3)
  let a = seed >>> 0
  for (let i = 0; i < out.length; i++) {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    out[i] = low + ((t ^ (t >>> 14)) >>> 0) * scale
  }
}
