import type {EngineLogger, GpuChoice} from '../types.js'

/** Options of {@link createEmbedder}. */
export interface EmbedderOptions {
  /** `llama` runs a GGUF embedding model in llama.cpp; `echo` is a deterministic hashed bag of words. Default `llama`. */
  kind?: 'echo' | 'llama'
  /** Path to the GGUF model file (required for `llama`). */
  modelPath?: string
  /** GPU backend; default `auto`. */
  gpu?: GpuChoice
  /** CPU threads; default: the CPU that is free now. */
  threads?: number
  /** Most tokens one text may have; default: the model's training context, at most 2048. */
  contextSize?: number
  /** Where log lines go; default: nowhere. */
  logger?: EngineLogger
  /** Pass llama.cpp's info-level logs to the logger too; default false. */
  verbose?: boolean
  /** Aborts model loading. */
  signal?: AbortSignal
}

/** Facts about a loaded embedder. */
export interface EmbedderInfo {
  kind: 'echo' | 'llama'
  modelPath?: string
  /** Length of every vector. */
  dimensions: number
  /** Most tokens one text may have; longer texts are cut to this many tokens (see {@link Embedder.embed}). */
  contextSize: number
}

/**
 * Turns texts into vectors of a fixed length, normalized to unit length, so that cosine similarity is a dot
 * product. The same text always gives the same vector.
 */
export interface Embedder {
  readonly info: EmbedderInfo
  /** Tokens of a text under the model's tokenizer (the chunker counts with it). */
  countTokens(text: string): number
  /**
   * The unit vector of a text. A text over `info.contextSize` tokens is embedded from its first `contextSize` tokens
   * (chunks never are; a long query may be).
   */
  embed(text: string): Promise<Float32Array>
  /** Frees the model; idempotent. */
  dispose(): Promise<void>
}
