import type {Embedder} from './types.js'

const DIMENSIONS = 64
const CONTEXT_SIZE = 8192

/**
 * A deterministic embedder without a model: a hashed bag of lower-cased words (feature hashing, FNV-1a), normalized.
 * Texts that share words are near; the same text is identical. Words stand in for tokens.
 */
export function createEchoEmbedder(): Embedder {
  const words = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
  return {
    info: {kind: 'echo', dimensions: DIMENSIONS, contextSize: CONTEXT_SIZE},
    countTokens: (text) => text.split(/\s+/).filter(Boolean).length,
    async embed(text) {
      const vector = new Float32Array(DIMENSIONS)
      for (const word of words(text).slice(0, CONTEXT_SIZE)) {
        const hash = fnv1a(word)
        vector[hash % DIMENSIONS] += hash & 0x8000_0000 ? -1 : 1
      }

      return normalize(vector)
    },
    async dispose() {},
  }
}

/** Scales a vector to unit length in place (a zero vector stays zero) and returns it. */
export function normalize(vector: Float32Array): Float32Array {
  let norm = 0
  for (const value of vector) norm += value * value
  norm = Math.sqrt(norm)
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] /= norm
  return vector
}

function fnv1a(text: string): number {
  let hash = 0x811c_9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x0100_0193) >>> 0
  }

  return hash
}
