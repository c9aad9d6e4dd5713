/** A quantization tier: `q4` (Q4_K_M or Q4_0), `q8` (Q8_0), `q16` (F16 or BF16). */
export type Quant = 'q4' | 'q8' | 'q16'

/** The tiers from the smallest to the largest file. */
export const QUANTS: readonly Quant[] = ['q4', 'q8', 'q16']

/**
 * What a model is good for; `tiny` marks the smallest models, for trying things out on any machine, and `embed` the
 * embedding models of the retrieval index.
 */
export type ModelTask = 'embed' | 'ner' | 'qa' | 'rag' | 'soap' | 'summarize' | 'tiny' | 'vision'

/** Every task of the catalog, in the order `hw` lists them. */
export const MODEL_TASKS: readonly ModelTask[] = ['qa', 'summarize', 'soap', 'ner', 'rag', 'vision', 'tiny', 'embed']

/**
 * One GGUF file of a model.
 * `verified: true` means the path and `sizeBytes` are exact (taken from a Hugging Face tree listing or from code
 * that pins the bytes); otherwise the size is approximate and the name follows the uploader's convention, so a
 * downloader must read the real size and sha256 from the hub (tree API `lfs.oid`) instead of enforcing these.
 */
export interface CatalogFile {
  /** Path inside the Hugging Face repo (for user-supplied models: the file name JSL ships). */
  file: string
  /** The GGUF quantization name, e.g. `Q4_K_M`, `Q8_0`, `F16`, `BF16`. */
  quantName: string
  /** File size in bytes; exact only when `verified`. */
  sizeBytes?: number
  /** Lower-case hex sha256 of the file (the hub's LFS oid), when known. */
  sha256?: string
  /** The path and size were checked against a listing of the repo. */
  verified?: boolean
}

/**
 * The transformer shape the memory estimate needs (KV cache and compute buffers). From the upstream
 * `config.json` of the base model; a GGUF on disk is read instead when there is one.
 */
export interface ModelArchitecture {
  /** Transformer blocks (`block_count`). */
  layers: number
  /** Hidden size (`embedding_length`). */
  embeddingLength: number
  /** Attention heads. */
  headCount: number
  /** Key/value heads (grouped-query attention). */
  headCountKv: number
  /** Size of one attention head (key and value length). */
  headDim: number
  /** Vocabulary size (sets the logits buffer). */
  vocabSize: number
  /** Sliding-window size, for models whose local layers attend to a window only (Gemma 3). */
  slidingWindow?: number
  /** With `slidingWindow`: how many layers still attend to the whole context. */
  fullAttentionLayers?: number
}

/** A model of the catalog: one entry per model, with a file per quantization tier. */
export interface CatalogModel {
  /** The alias users type, e.g. `medgemma-4b`. */
  id: string
  /** Other names `findModel` accepts. */
  aliases?: string[]
  /** Human name. */
  name: string
  /** What the model is for; the first model listed for a task is its default. */
  tasks: ModelTask[]
  /** `owner/name` on Hugging Face; absent for user-supplied models. */
  repo?: string
  /** `main` or a commit; `local` for user-supplied models. */
  revision: string
  /** SPDX id or the licence's short name. */
  license: string
  /** Access needs approval: a gated Hugging Face repo, or (user-supplied models) a commercial licence. */
  gated: boolean
  /** Chat template family, for prompt builders: `chatml`, `qwen3`, `gemma3`, `llama3`, `nuextract`, or `auto` (read the GGUF's template). */
  chatFamily: string
  /** Training context length in tokens. */
  contextLength: number
  /** Parameters of the language model in the main GGUF (a vision encoder lives in `mmproj`). */
  parameters: number
  /** The file of each quantization tier the model is published in. */
  variants: Partial<Record<Quant, CatalogFile>>
  /** The vision projector, for vision models. */
  mmproj?: CatalogFile
  /** Present for licensed models that are not openly downloadable: import with `jsl-med pull ./file.gguf --as <id>`. */
  userSupplied?: {note: string}
  /** Names of fields that were not verified against the hub (e.g. `gated`, `variants.q16.file`, `architecture`). */
  unverified?: string[]
  /** Transformer shape for the memory estimate. */
  architecture?: ModelArchitecture
  /** Where the facts come from, and caveats. */
  notes?: string
}
