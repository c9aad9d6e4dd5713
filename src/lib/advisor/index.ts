// Recommends how to run each model on a machine (quantization, GPU layers, context, threads) and says why.
// recommend() is pure; adviseMachine() composes hardware detection, the catalog and recommend() for `jsl-med hw`.
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
export {adviseMachine, quantTierOf} from './machine.js'
export {adviseParallel} from './parallel.js'
export type {AdviseParallelOptions, ParallelAdvice} from './parallel.js'
export type {AdviseMachineOptions, HwResult, ModelAdvice} from './machine.js'
export {DEFAULT_CONTEXT_SIZE, DEFAULT_TARGET_TOKENS_PER_SECOND, MIN_CONTEXT_SIZE, recommend} from './recommend.js'
export {formatBytes, formatTokens, renderHwReport, renderReason, summarizeRecommendation} from './render.js'
export type {GgufFigures, MemoryEstimate, Reason, ReasonCode, RecommendOptions, Recommendation} from './types.js'
