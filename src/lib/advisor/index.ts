// Recommends how to run each model on a machine (quantization, GPU layers, context, threads) and says why.
// Pure: no I/O, no node-llama-cpp. adviseMachine() in use-cases composes it with hardware detection for `jsl-med hw`.
export {
  assumedArchitecture,
  BATCH_SIZE,
  BYTES_PER_PARAMETER,
  computeBytes,
  estimateMemory,
  kvCacheBytes,
  ramPaddingBytes,
  vramPaddingBytes,
} from './estimate.js'
export type {RawEstimate} from './estimate.js'
export {adviseParallel} from './parallel.js'
export type {AdviseParallelOptions, ParallelAdvice} from './parallel.js'
export {DEFAULT_CONTEXT_SIZE, DEFAULT_TARGET_TOKENS_PER_SECOND, MIN_CONTEXT_SIZE, recommend} from './recommend.js'
export {BACKEND_NAMES, formatKld, renderReason, summarizeRecommendation} from './describe.js'
export type {GgufFigures, MeasuredQuality, MeasuredSpeed, Measurement, MemoryEstimate, Reason, ReasonCode, RecommendOptions, Recommendation} from './types.js'
