import type {Quant} from '../catalog/index.js'
import type {BackendReasonCode, GpuBackend} from '../hardware/index.js'

/** Options of {@link recommend}. */
export interface RecommendOptions {
  /**
   * Context size to plan for, in tokens. Default: {@link DEFAULT_CONTEXT_SIZE} (at most the model's). When
   * given, it is kept even when it does not fit; when defaulted, it is halved (down to 2048) until the model fits.
   */
  contextSize?: number
  /** CPU generation speed worth trading quality for, in tokens/s; default {@link DEFAULT_TARGET_TOKENS_PER_SECOND}. */
  targetTokensPerSecond?: number
  /** Exact figures from the model's GGUF header (node-llama-cpp's GgufInsights), when the file is on disk. */
  gguf?: GgufFigures
  /**
   * What `jsl-med bench` measured on this machine, per quantization whose file it ran (the caller reads the bench
   * history). The recommended quantization's entry makes the recommendation `measured`. Default: none (`estimated`).
   */
  measurements?: Partial<Record<Quant, Measurement>>
}

/** Speed figures of the newest bench speed record of one model file on this machine. */
export interface MeasuredSpeed {
  /** Prompt processing: llama-bench's test name (`pp512`) and the mean tokens/s over the repetitions. */
  pp: {name: string; tokensPerSecond: number}
  /** Token generation: llama-bench's test name (`tg128`) and the mean tokens/s over the repetitions. */
  tg: {name: string; tokensPerSecond: number}
  /** Threads of the pp/tg tests; null when the record does not say. */
  threads: number | null
  /** When the record was written (ISO 8601). */
  measuredAt: string
  runId: string
}

/** Quantization damage from the newest bench quality record of one model file: next-token distributions against a reference. */
export interface MeasuredQuality {
  /** The model file the distributions were compared against (an F16 or q16 of the same model). */
  reference: {id: string; sha256: string; fileType: string}
  /** Token positions compared. */
  positions: number
  /** Mean KL divergence from the reference, in nats, with its 95% interval. */
  kld: {mean: number; low: number; high: number}
  /** How often the most likely next token is the reference's, as a fraction, with its 95% interval. */
  top1: {rate: number; low: number; high: number}
  measuredAt: string
  runId: string
}

/** What bench measured for one model file on this machine: speed, quality, or both. */
export interface Measurement {
  /** The file's sha256 the records name. */
  sha256: string
  speed: MeasuredSpeed | null
  quality: MeasuredQuality | null
}

/** What a GGUF header gave: the exact weight size and the context memory per context size. */
export interface GgufFigures {
  path: string
  weightsBytes: number
  /** KV cache + compute buffers of a context of each size, as node-llama-cpp estimates them. */
  contextBytes: Record<number, number>
}

/** The memory a model needs, in bytes. */
export interface MemoryEstimate {
  weightsBytes: number
  /** Keys and values of every context token (F16), per layer, with sliding-window layers capped at their window. */
  kvCacheBytes: number
  /** llama.cpp's scratch buffers for one batch (logits of 512 tokens dominate). */
  computeBytes: number
  /** weights + KV cache + compute. */
  totalBytes: number
  /** The part placed in VRAM with the recommended GPU layers. */
  gpuBytes: number
  /** The part placed in system RAM. */
  cpuBytes: number
  /** The vision projector, loaded on top for image input; null for text-only models. */
  projectorBytes: number | null
  /** `catalog`: file sizes of the catalog; `parameters`: parameters × bits per weight; `gguf`: the file's header. */
  source: 'catalog' | 'gguf' | 'parameters'
}

/** A reason for a recommendation, as data: a code and the numbers behind it. {@link renderReason} phrases it. */
export type Reason =
  | {code: 'FITS_GPU'; quant: Quant; backend: GpuBackend; estimateBytes: number; vramBytes: number; contextSize: number}
  | {code: 'PARTIAL_OFFLOAD'; quant: Quant; gpuLayers: number; totalLayers: number; estimateBytes: number; vramBytes: number; contextSize: number}
  | {code: 'FITS_RAM'; quant: Quant; estimateBytes: number; ramBytes: number; contextSize: number; backendReason: BackendReasonCode}
  | {code: 'CPU_SPEED'; quant: Quant; tokensPerSecond: number; bandwidthBytesPerSecond: number; targetTokensPerSecond: number}
  | {code: 'UNIFIED_MEMORY'; budgetBytes: number}
  | {code: 'WOULD_SPILL'; quant: Quant; spillLayers: number; estimateBytes: number}
  | {code: 'SLOWER_QUANT'; quant: Quant; tokensPerSecond: number}
  | {code: 'TOO_BIG'; quant: Quant; estimateBytes: number; availableBytes: number}
  | {code: 'DOES_NOT_FIT'; quant: Quant; estimateBytes: number; availableBytes: number; contextSize: number}
  | {code: 'CONTEXT_REDUCED'; from: number; to: number}
  | {code: 'CONTEXT_CAPPED'; requested: number; max: number}
  | {code: 'THREADS_PHYSICAL'; threads: number; physicalCores: number; logicalCores: number}
  | {code: 'QUANT_UNAVAILABLE'; quants: Quant[]}
  | {code: 'SIZE_ESTIMATED'; parameters: number}
  | {code: 'ARCHITECTURE_ASSUMED'}
  | {code: 'GGUF_EXACT'; path: string}
  | {code: 'BANDWIDTH_ASSUMED'; bandwidthBytesPerSecond: number}
  | {code: 'USER_SUPPLIED'; note: string}
  | {code: 'MEASURED'; quant: Quant; tgTokensPerSecond: number | null; kldMean: number | null; top1Rate: number | null}

/** Every reason code. */
export type ReasonCode = Reason['code']

/** How a model should run on a machine. */
export interface Recommendation {
  quant: Quant
  /** Layers to offload to the GPU (llama.cpp's `n_gpu_layers`; the output layer counts as one). */
  gpuLayers: number
  /** Offloadable layers: transformer blocks + the output layer. */
  totalLayers: number
  contextSize: number
  threads: number
  estimate: MemoryEstimate
  /** Estimated CPU generation speed (memory bandwidth / bytes per token); null when the GPU runs it. */
  tokensPerSecond: number | null
  /** `measured` when bench has figures for the recommended quantization's file on this machine, else `estimated`. */
  source: 'estimated' | 'measured'
  /** Those figures; null when `estimated`. */
  measured: Measurement | null
  /** The recommended configuration fits in this machine's free memory. */
  fits: boolean
  /** Why, as data; the first reasons explain the choice, later ones add context. */
  reasons: Reason[]
}
