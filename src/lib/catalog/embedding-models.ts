import type {CatalogModel, ModelArchitecture} from './types.js'

// Encoder (BERT-family) shapes: every head attends to keys and values of its own.
const NOMIC_BERT_137M: ModelArchitecture = {layers: 12, embeddingLength: 768, headCount: 12, headCountKv: 12, headDim: 64, vocabSize: 30_528}
const GEMMA3_EMBEDDING_300M: ModelArchitecture = {layers: 24, embeddingLength: 768, headCount: 3, headCountKv: 1, headDim: 256, vocabSize: 262_144}

/**
 * GGUF embedding models for `index add --embed-model` (llama.cpp runs them with their pooling). None is verified:
 * the file names follow the uploaders' conventions and the sizes are rounded from model cards, not read from a tree
 * listing, so `pull` reads the real size and sha256 from the hub. Neither is medical; both are general English
 * retrieval models.
 */
export const EMBEDDING_MODELS: readonly CatalogModel[] = [
  {
    id: 'nomic-embed-1.5',
    aliases: ['nomic-embed', 'nomic-embed-text-v1.5'],
    name: 'Nomic Embed Text v1.5',
    tasks: ['embed'],
    repo: 'nomic-ai/nomic-embed-text-v1.5-GGUF',
    revision: 'main',
    license: 'apache-2.0',
    gated: false,
    chatFamily: 'none',
    contextLength: 2048,
    parameters: 137_000_000,
    variants: {
      q4: {file: 'nomic-embed-text-v1.5.Q4_K_M.gguf', quantName: 'Q4_K_M', sizeBytes: 84_000_000, verified: false},
      q8: {file: 'nomic-embed-text-v1.5.Q8_0.gguf', quantName: 'Q8_0', sizeBytes: 146_000_000, verified: false},
      q16: {file: 'nomic-embed-text-v1.5.f16.gguf', quantName: 'F16', sizeBytes: 274_000_000, verified: false},
    },
    unverified: ['parameters', 'architecture', ...(['q4', 'q8', 'q16'] as const).flatMap((q) => [`variants.${q}.file`, `variants.${q}.sizeBytes`])],
    architecture: NOMIC_BERT_137M,
    notes:
      'nomic-bert architecture, mean pooling, 768 dimensions (Matryoshka: truncatable). Its card asks for task prefixes ("search_document: ", "search_query: "); jsl-med does not add them yet.',
  },
  {
    id: 'embedgemma-300m',
    aliases: ['embeddinggemma', 'embeddinggemma-300m'],
    name: 'EmbeddingGemma 300M',
    tasks: ['embed'],
    repo: 'ggml-org/embeddinggemma-300M-GGUF',
    revision: 'main',
    license: 'gemma',
    gated: false,
    chatFamily: 'none',
    contextLength: 2048,
    parameters: 308_000_000,
    variants: {
      q8: {file: 'embeddinggemma-300M-Q8_0.gguf', quantName: 'Q8_0', sizeBytes: 329_000_000, verified: false},
      q16: {file: 'embeddinggemma-300M-F16.gguf', quantName: 'F16', sizeBytes: 617_000_000, verified: false},
    },
    unverified: ['gated', 'parameters', 'architecture', ...(['q8', 'q16'] as const).flatMap((q) => [`variants.${q}.file`, `variants.${q}.sizeBytes`])],
    architecture: GEMMA3_EMBEDDING_300M,
    notes: 'Gemma 3 based encoder, mean pooling, 768 dimensions; Gemma terms apply (the source repo google/embeddinggemma-300m is gated).',
  },
]
