import {byteSize, encode, TENSOR_TYPES, type TensorType} from './quantize.js'
import {fillUniform, mixSeed, mulberry32} from './random.js'
import {buildVocabulary, MIN_VOCAB_SIZE} from './tokenizer.js'
import {writeGguf, type GgufTensor, type GgufValue} from './writer.js'

/** Hyperparameters of a llama-architecture model. */
export interface ModelShape {
  /** Hidden size (`llama.embedding_length`). */
  embeddingLength: number
  /** Number of transformer blocks (`llama.block_count`). */
  blockCount: number
  /** Attention heads; must divide `embeddingLength` into an even head size. */
  headCount: number
  /** Key/value heads (grouped-query attention); must divide `headCount`. */
  headCountKv: number
  /** Hidden size of the gated feed-forward network. */
  feedForwardLength: number
  /** Vocabulary size, at least 259 (256 byte tokens and 3 special tokens). */
  vocabSize: number
  /** Training context length written to the metadata. */
  contextLength: number
}

const shape = (
  embeddingLength: number,
  blockCount: number,
  headCount: number,
  headCountKv: number,
  feedForwardLength: number,
  vocabSize: number,
  contextLength: number,
): ModelShape => ({embeddingLength, blockCount, headCount, headCountKv, feedForwardLength, vocabSize, contextLength})

/**
 * Llama-like shapes whose parameter counts match their names within 10%: `tiny` (≈140K parameters, ≈560 KB in F32)
 * for tests; the others follow SmolLM2 (1.7b), Llama 3.2 3B (3.5b, untied output) and Llama 3.1 8B (8b) proportions
 * for realistic memory and speed measurements.
 */
export const SHAPES: Record<'tiny' | '0.25b' | '0.5b' | '1.7b' | '3.5b' | '8b', ModelShape> = {
  // embd, blocks, heads, kv heads, feed-forward, vocab, context
  tiny: shape(64, 2, 4, 2, 128, 512, 4096),
  '0.25b': shape(1024, 16, 16, 4, 2816, 32000, 4096),
  '0.5b': shape(1024, 26, 16, 4, 4096, 49152, 8192),
  '1.7b': shape(2048, 24, 32, 8, 8192, 49152, 8192),
  '3.5b': shape(3072, 28, 24, 8, 8192, 128256, 8192),
  '8b': shape(4096, 32, 32, 8, 14336, 128256, 8192),
}

const SPEC_KEYS: Record<string, keyof ModelShape> = {
  embd: 'embeddingLength',
  layers: 'blockCount',
  heads: 'headCount',
  kv: 'headCountKv',
  ff: 'feedForwardLength',
  vocab: 'vocabSize',
  ctx: 'contextLength',
}

/**
 * Parses a shape spec: a {@link SHAPES} key (e.g. `0.5b`), or comma-separated overrides of `tiny` such as
 * `embd=64,layers=2,heads=4,kv=2,ff=128,vocab=512,ctx=2048`. Throws an Error describing the problem on bad input.
 */
export function parseShape(spec: string): ModelShape {
  const text = spec.trim().toLowerCase()
  if (Object.hasOwn(SHAPES, text)) return {...SHAPES[text as keyof typeof SHAPES]}
  if (!text.includes('=')) {
    throw new Error(`unknown model shape '${spec}': use one of ${Object.keys(SHAPES).join(', ')} or key=value pairs`)
  }
  const result = {...SHAPES.tiny}
  const seen = new Set<string>()
  for (const part of text.split(',')) {
    const [key, value, extra] = part.split('=').map((s) => s.trim())
    if (!Object.hasOwn(SPEC_KEYS, key) || seen.has(key) || extra !== undefined || !/^\d+$/.test(value ?? '')) {
      throw new Error(
        `invalid shape entry '${part.trim()}' in '${spec}': expected distinct key=<positive integer> with key one of ` +
          Object.keys(SPEC_KEYS).join(', '),
      )
    }
    seen.add(key)
    result[SPEC_KEYS[key]] = Number(value)
  }
  validateShape(result)
  return result
}

/** Throws an Error if `shape` cannot form a llama model (stored as `tensorType`, when given). */
export function validateShape(shape: ModelShape, tensorType?: TensorType): void {
  for (const key of Object.values(SPEC_KEYS)) {
    const value = shape[key]
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${key} must be a positive integer, got ${value}`)
  }
  const {embeddingLength: embd, headCount, headCountKv, feedForwardLength: ff, vocabSize} = shape
  if (embd % headCount !== 0 || (embd / headCount) % 2 !== 0) {
    throw new Error(`embeddingLength (${embd}) must be headCount (${headCount}) times an even head size`)
  }
  if (headCount % headCountKv !== 0) {
    throw new Error(`headCountKv (${headCountKv}) must divide headCount (${headCount})`)
  }
  if (vocabSize < MIN_VOCAB_SIZE) throw new Error(`vocabSize must be at least ${MIN_VOCAB_SIZE}, got ${vocabSize}`)
  if (tensorType === undefined) return
  if (!Object.hasOwn(TENSOR_TYPES, tensorType)) throw new Error(`unknown tensor type '${tensorType}'`)
  const block = TENSOR_TYPES[tensorType].blockSize
  if (embd % block !== 0 || ff % block !== 0) {
    throw new Error(
      `${tensorType} stores rows in blocks of ${block} values: embeddingLength (${embd}) and ` +
        `feedForwardLength (${ff}) must be multiples of ${block}`,
    )
  }
}

/** One tensor of a synthesized model: its name, ggml dims (ne[0] first) and whether it is a norm weight. */
export interface TensorLayout {
  name: string
  dims: number[]
  isNorm: boolean
}

/** The tensors of a llama model of this shape: names and ggml dims (ne[0] first) as llama.cpp loads them. */
export function tensorLayout(shape: ModelShape): TensorLayout[] {
  const {embeddingLength: embd, feedForwardLength: ff, vocabSize: vocab} = shape
  const kvDim = (embd / shape.headCount) * shape.headCountKv
  const layout: TensorLayout[] = []
  const add = (name: string, ...dims: number[]) => layout.push({name, dims, isNorm: dims.length === 1})
  add('token_embd.weight', embd, vocab)
  add('output_norm.weight', embd)
  add('output.weight', embd, vocab)
  for (let i = 0; i < shape.blockCount; i++) {
    add(`blk.${i}.attn_norm.weight`, embd)
    add(`blk.${i}.attn_q.weight`, embd, embd)
    add(`blk.${i}.attn_k.weight`, embd, kvDim)
    add(`blk.${i}.attn_v.weight`, embd, kvDim)
    add(`blk.${i}.attn_output.weight`, embd, embd)
    add(`blk.${i}.ffn_norm.weight`, embd)
    add(`blk.${i}.ffn_gate.weight`, embd, ff)
    add(`blk.${i}.ffn_up.weight`, embd, ff)
    add(`blk.${i}.ffn_down.weight`, ff, embd)
  }
  return layout
}

/** Number of weights in a model of this shape (all tensors, untied output). */
export function countParameters(shape: ModelShape): number {
  validateShape(shape)
  return tensorLayout(shape).reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0)
}

const POOL_ELEMENTS = 1 << 20
const CHUNK_BYTES = 1 << 22

// Yields a tensor's encoded rows in chunks of about CHUNK_BYTES. Tensors of up to POOL_ELEMENTS values are fully
// random. Larger ones reuse one seeded, pre-encoded pool of POOL_ELEMENTS values: each row is copied from a seeded
// random offset aligned to 32 values, so quantized blocks copy verbatim. This keeps an 8B model fast to write in
// bounded memory.
function* tensorChunks(type: TensorType, ne0: number, rows: number, seed: number, isNorm: boolean) {
  const poolElements = Math.min(ne0 * rows, POOL_ELEMENTS)
  const values = new Float32Array(poolElements)
  // std 0.02 (as in GPT-2/llama initialization) keeps activations finite; norm weights are 1 with the same noise.
  fillUniform(values, seed, isNorm ? 1 : 0, 0.02)
  const pool = new Uint8Array(byteSize(type, poolElements))
  encode(type, values, pool)
  if (poolElements === ne0 * rows) {
    yield pool
    return
  }
  const rowBytes = byteSize(type, ne0)
  const unitBytes = byteSize(type, 32)
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / rowBytes))
  const chunk = new Uint8Array(rowsPerChunk * rowBytes)
  const nextOffset = mulberry32(mixSeed(seed, -1))
  for (let row = 0; row < rows; row += rowsPerChunk) {
    const count = Math.min(rowsPerChunk, rows - row)
    for (let at = 0; at < count * rowBytes; ) {
      const rowEnd = at + rowBytes
      for (let src = (nextOffset() % (poolElements / 32)) * unitBytes; at < rowEnd; src = 0) {
        const length = Math.min(rowEnd - at, pool.length - src)
        chunk.set(pool.subarray(src, src + length), at)
        at += length
      }
    }
    yield chunk.subarray(0, count * rowBytes)
  }
}

/** Options for {@link synthesizeModel}. */
export interface SynthesizeOptions {
  /** Destination file; parent directories are created. Written via `path + '.tmp'` and renamed when complete. */
  path: string
  /** Model hyperparameters, e.g. `SHAPES.tiny` or the result of {@link parseShape}. */
  shape: ModelShape
  /** Storage type of the 2-D weights; norm weights are always F32. Default `'F32'`. */
  tensorType?: TensorType
  /** Integer seed of the weights; the same seed gives a byte-identical file. Default `1`. */
  seed?: number
  /** `general.name`. Default `'jsl-med synthetic'`. */
  name?: string
  /**
   * Writes `llama.pooling_type`, which makes llama.cpp pool the token states into one embedding per text (an
   * embedding model: `mean`, `cls` or `last`). Default: none (a generative model).
   */
  pooling?: Pooling
  /** Called after every write with the bytes written so far and the final file size. Default: none. */
  onProgress?: (writtenBytes: number, totalBytes: number) => void
}

/** What {@link synthesizeModel} wrote. */
export interface SynthesizeResult {
  /** The model file. */
  path: string
  /** File size in bytes. */
  sizeBytes: number
  /** Number of weights, as {@link countParameters}. */
  parameterCount: number
  /** Number of tensors in the file. */
  tensorCount: number
  /** Storage type of the 2-D weights. */
  tensorType: TensorType
}

/** How an embedding model pools token states into one vector. */
export type Pooling = 'cls' | 'last' | 'mean'

// llama.cpp's enum llama_pooling_type.
const POOLING_TYPES: Record<Pooling, number> = {mean: 1, cls: 2, last: 3}

const FILE_TYPES: Record<TensorType, number> = {F32: 0, F16: 1, Q4_0: 2, Q8_0: 7}

const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + " +
  "'\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

/**
 * Writes a llama-architecture GGUF v3 model with seeded random weights (std 0.02; norms ≈1) and a byte-level BPE
 * tokenizer with a ChatML template, streaming tensor data so any shape is written with bounded memory.
 */
export async function synthesizeModel(options: SynthesizeOptions): Promise<SynthesizeResult> {
  const {path, shape, tensorType = 'F32', seed = 1, name = 'jsl-med synthetic', pooling, onProgress} = options
  validateShape(shape, tensorType)
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`)
  const vocab = buildVocabulary(shape.vocabSize)
  const u32 = (value: number): GgufValue => ({type: 'u32', value})
  const f32 = (value: number): GgufValue => ({type: 'f32', value})
  const str = (value: string): GgufValue => ({type: 'string', value})
  const quantized = tensorType === 'Q8_0' || tensorType === 'Q4_0'
  const metadata: [string, GgufValue][] = [
    ['general.architecture', str('llama')],
    ['general.name', str(name)],
    ['general.alignment', u32(32)],
    ['general.file_type', u32(FILE_TYPES[tensorType])],
    ...(quantized ? [['general.quantization_version', u32(2)] as [string, GgufValue]] : []),
    ['llama.context_length', u32(shape.contextLength)],
    ['llama.embedding_length', u32(shape.embeddingLength)],
    ['llama.block_count', u32(shape.blockCount)],
    ['llama.feed_forward_length', u32(shape.feedForwardLength)],
    ['llama.attention.head_count', u32(shape.headCount)],
    ['llama.attention.head_count_kv', u32(shape.headCountKv)],
    ['llama.rope.dimension_count', u32(shape.embeddingLength / shape.headCount)],
    ['llama.rope.freq_base', f32(10000)],
    ['llama.attention.layer_norm_rms_epsilon', f32(1e-5)],
    ['llama.vocab_size', u32(shape.vocabSize)],
    ...(pooling ? [['llama.pooling_type', u32(POOLING_TYPES[pooling])] as [string, GgufValue]] : []),
    ['tokenizer.ggml.model', str('gpt2')],
    ['tokenizer.ggml.pre', str('default')],
    ['tokenizer.ggml.tokens', {type: 'array', itemType: 'string', values: vocab.tokens}],
    ['tokenizer.ggml.token_type', {type: 'array', itemType: 'i32', values: vocab.tokenTypes}],
    ['tokenizer.ggml.merges', {type: 'array', itemType: 'string', values: vocab.merges}],
    ['tokenizer.ggml.bos_token_id', u32(vocab.bosId)],
    ['tokenizer.ggml.eos_token_id', u32(vocab.eosId)],
    ['tokenizer.ggml.padding_token_id', u32(vocab.padId)],
    ['tokenizer.ggml.add_bos_token', {type: 'bool', value: false}],
    ['tokenizer.chat_template', str(CHATML_TEMPLATE)],
  ]
  const tensors = tensorLayout(shape).map(({name, dims, isNorm}, index): GgufTensor => {
    const type = isNorm ? 'F32' : tensorType
    const tensorSeed = mixSeed(seed, index)
    return {name, dims, type, chunks: () => tensorChunks(type, dims[0], dims[1] ?? 1, tensorSeed, isNorm)}
  })
  const sizeBytes = await writeGguf(path, {metadata, tensors, onProgress})
  return {path, sizeBytes, parameterCount: countParameters(shape), tensorCount: tensors.length, tensorType}
}
