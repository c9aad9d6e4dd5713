import type {ModelArchitecture} from '../catalog/index.js'
import {computeBytes, kvCacheBytes} from './estimate.js'

/** Options of {@link adviseParallel}. */
export interface AdviseParallelOptions {
  architecture: ModelArchitecture
  /** Context size per sequence, in tokens. */
  contextSize: number
  /** Parallel sequences asked for (`-j`). */
  sequences: number
  /** Memory the context may use: free RAM, plus free VRAM when layers are on the GPU. */
  availableBytes: number
}

/** Whether `-j N` fits, and the largest N that does. */
export interface ParallelAdvice {
  fits: boolean
  /** The largest sequence count that fits (0: not even one). */
  maxSequences: number
  /** KV cache of all sequences plus one batch of compute buffers. */
  neededBytes: number
  /** KV cache of one sequence. */
  perSequenceBytes: number
}

/**
 * Every parallel sequence holds its own KV cache for the whole context, so memory grows with `-j`;
 * the compute buffers are shared (one batch). Pure: the caller measures the available memory.
 */
export function adviseParallel(options: AdviseParallelOptions): ParallelAdvice {
  const perSequenceBytes = kvCacheBytes(options.architecture, options.contextSize)
  const sharedBytes = computeBytes(options.architecture, options.contextSize)
  const neededBytes = sharedBytes + perSequenceBytes * options.sequences
  const maxSequences = Math.max(0, Math.floor((options.availableBytes - sharedBytes) / perSequenceBytes))
  return {fits: neededBytes <= options.availableBytes, maxSequences, neededBytes, perSequenceBytes}
}
