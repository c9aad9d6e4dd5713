import type {ModelArchitecture} from './types.js'

// The layer and attention shapes of the catalog models' bases, which the advisor's memory estimates need.

const arch = (
  layers: number,
  embeddingLength: number,
  headCount: number,
  headCountKv: number,
  headDim: number,
  vocabSize: number,
  extra: Pick<ModelArchitecture, 'fullAttentionLayers' | 'slidingWindow'> = {},
): ModelArchitecture => ({layers, embeddingLength, headCount, headCountKv, headDim, vocabSize, ...extra})

/** Qwen2.5 0.5B, also the base of NuExtract 1.5 tiny. */
export const QWEN25_05B = arch(24, 896, 14, 2, 64, 151_936)
/** Qwen3 1.7B. */
export const QWEN3_17B = arch(28, 2048, 16, 8, 128, 151_936)
/** Qwen3 4B. */
export const QWEN3_4B = arch(36, 2560, 32, 8, 128, 151_936)
/** Gemma 3 4B, the base of MedGemma 4B. */
export const GEMMA3_4B = arch(34, 2560, 8, 4, 256, 262_208, {slidingWindow: 1024, fullAttentionLayers: 5})
/** Llama 3 8B, the base of Llama3-Med42 8B. */
export const LLAMA3_8B = arch(32, 4096, 32, 8, 128, 128_256)
/** SmolLM2 135M. */
export const SMOLLM2_135M = arch(30, 576, 9, 3, 64, 49_152)
/** SmolVLM 500M. */
export const SMOLVLM_500M = arch(32, 960, 15, 5, 64, 49_280)

// Guesses for the licensed JSL models, whose bases are not published: conservative shapes of the same size class
// (no grouped-query attention for the 3.5B ones, which gives the largest KV cache of that class).
/** Assumed shape of the 3.5B JSL models. */
export const GUESS_35B = arch(32, 3072, 32, 32, 96, 32_064)
/** Assumed shape of the 3B JSL models. */
export const GUESS_3B = arch(36, 2048, 16, 2, 128, 151_936)
/** Assumed shape of the 2B JSL models. */
export const GUESS_2B = arch(28, 1536, 12, 2, 128, 151_936)
/** Assumed shape of the 14B JSL model. */
export const GUESS_14B = arch(48, 5120, 40, 8, 128, 152_064)
