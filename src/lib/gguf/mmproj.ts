import {encode} from './quantize.js'
import {fillUniform, mixSeed} from './random.js'
import {writeGguf, type GgufTensor, type GgufValue} from './writer.js'

/**
 * Hyperparameters of a LLaVA-style vision projector (mmproj): a ViT encoder over square patches, then a
 * two-layer MLP (`mm.0`, GELU, `mm.2`) into the text model's embedding space. llama.cpp's mtmd calls this
 * projector type `mlp`.
 */
export interface ProjectorShape {
  /** Side of the square image the encoder sees, in pixels (`clip.vision.image_size`); a multiple of `patchSize`. */
  imageSize: number
  /** Side of one patch, in pixels (`clip.vision.patch_size`). */
  patchSize: number
  /** Hidden size of the vision encoder (`clip.vision.embedding_length`). */
  embeddingLength: number
  /** Attention heads of the encoder; must divide `embeddingLength`. */
  headCount: number
  /** Hidden size of the encoder's feed-forward network; must differ from `embeddingLength`. */
  feedForwardLength: number
  /** Encoder blocks, at least 2 (LLaVA takes the features of the second-to-last block). */
  blockCount: number
  /** Hidden size of the MLP projector (`mm.0` output). */
  projectorLength: number
}

/** Projector shapes. `tiny` (28 px images, 4 image tokens, ≈40K parameters) is for tests. */
export const PROJECTOR_SHAPES: Record<'tiny', ProjectorShape> = {
  tiny: {imageSize: 28, patchSize: 14, embeddingLength: 32, headCount: 2, feedForwardLength: 64, blockCount: 2, projectorLength: 64},
}

/** Options of {@link synthesizeProjector}. */
export interface SynthesizeProjectorOptions {
  /** Destination file; written via `path + '.tmp'` and renamed when complete. */
  path: string
  /** Embedding length of the text model the projector feeds (mtmd refuses a mismatch), e.g. `SHAPES.tiny.embeddingLength`. */
  textEmbeddingLength: number
  /** Encoder and projector hyperparameters; default `PROJECTOR_SHAPES.tiny`. */
  shape?: ProjectorShape
  /** Integer seed of the weights; the same seed gives a byte-identical file. Default `1`. */
  seed?: number
  /** `general.name`. Default `'jsl-med synthetic projector'`. */
  name?: string
}

/** What {@link synthesizeProjector} wrote. */
export interface SynthesizeProjectorResult {
  path: string
  sizeBytes: number
  tensorCount: number
  parameterCount: number
  /** mtmd's projector type name (`clip.projector_type`). */
  projectorType: 'mlp'
  /** Embeddings one image becomes in the text model's context: `(imageSize / patchSize)²`. */
  imageTokens: number
}

/** Throws an Error if `shape` cannot form a projector mtmd will load. */
export function validateProjectorShape(shape: ProjectorShape): void {
  for (const [key, value] of Object.entries(shape)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${key} must be a positive integer, got ${value}`)
  }
  if (shape.imageSize % shape.patchSize !== 0) throw new Error(`imageSize (${shape.imageSize}) must be a multiple of patchSize (${shape.patchSize})`)
  if (shape.embeddingLength % shape.headCount !== 0) {
    throw new Error(`headCount (${shape.headCount}) must divide embeddingLength (${shape.embeddingLength})`)
  }
  if (shape.blockCount < 2) throw new Error(`blockCount must be at least 2, got ${shape.blockCount}`)
  // clip.cpp swaps ffn_up/ffn_down of old exports when ffn_down's rows equal the hidden size: keep them distinct.
  if (shape.feedForwardLength === shape.embeddingLength) throw new Error('feedForwardLength must differ from embeddingLength')
}

interface ProjectorTensor {
  name: string
  dims: number[]
  /** Constant initial value (norm weights 1, biases 0), or undefined for random weights. */
  fill?: number
}

// Names and ggml dims (ne[0] first) as clip.cpp's load_tensors and the llava graph read them.
function projectorLayout(shape: ProjectorShape, textEmbeddingLength: number): ProjectorTensor[] {
  const {imageSize, patchSize, embeddingLength: embd, feedForwardLength: ff, projectorLength: hidden} = shape
  const positions = (imageSize / patchSize) ** 2 + 1
  const layout: ProjectorTensor[] = []
  const add = (name: string, dims: number[], fill?: number) => layout.push({name, dims, fill})
  add('v.patch_embd.weight', [patchSize, patchSize, 3, embd])
  add('v.patch_embd.bias', [embd], 0)
  add('v.class_embd', [embd])
  add('v.position_embd.weight', [embd, positions])
  add('v.pre_ln.weight', [embd], 1)
  add('v.pre_ln.bias', [embd], 0)
  for (let i = 0; i < shape.blockCount; i++) {
    for (const part of ['q', 'k', 'v']) {
      add(`v.blk.${i}.attn_${part}.weight`, [embd, embd])
      add(`v.blk.${i}.attn_${part}.bias`, [embd], 0)
    }
    add(`v.blk.${i}.attn_out.weight`, [embd, embd])
    add(`v.blk.${i}.attn_out.bias`, [embd], 0)
    add(`v.blk.${i}.ln1.weight`, [embd], 1)
    add(`v.blk.${i}.ln1.bias`, [embd], 0)
    add(`v.blk.${i}.ffn_up.weight`, [embd, ff])
    add(`v.blk.${i}.ffn_up.bias`, [ff], 0)
    add(`v.blk.${i}.ffn_down.weight`, [ff, embd])
    add(`v.blk.${i}.ffn_down.bias`, [embd], 0)
    add(`v.blk.${i}.ln2.weight`, [embd], 1)
    add(`v.blk.${i}.ln2.bias`, [embd], 0)
  }
  add('mm.0.weight', [embd, hidden])
  add('mm.0.bias', [hidden], 0)
  add('mm.2.weight', [hidden, textEmbeddingLength])
  add('mm.2.bias', [textEmbeddingLength], 0)
  return layout
}

/**
 * Writes a random-weight vision projector (mmproj GGUF, `general.architecture = clip`, projector type `mlp`,
 * as LLaVA 1.5) that llama.cpp's mtmd loads next to a text model of embedding length `textEmbeddingLength`.
 * All tensors are F32. Paired with `synthesizeModel`, it makes a vision model for tests without a download:
 * real image decoding, encoding and prompt evaluation, nonsense answers.
 */
export async function synthesizeProjector(options: SynthesizeProjectorOptions): Promise<SynthesizeProjectorResult> {
  const {path, textEmbeddingLength, shape = PROJECTOR_SHAPES.tiny, seed = 1, name = 'jsl-med synthetic projector'} = options
  validateProjectorShape(shape)
  if (!Number.isSafeInteger(textEmbeddingLength) || textEmbeddingLength < 1) {
    throw new Error(`textEmbeddingLength must be a positive integer, got ${textEmbeddingLength}`)
  }
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`)
  const u32 = (value: number): GgufValue => ({type: 'u32', value})
  const f32 = (value: number): GgufValue => ({type: 'f32', value})
  const floats = (values: number[]): GgufValue => ({type: 'array', itemType: 'f32', values})
  const metadata: [string, GgufValue][] = [
    ['general.architecture', {type: 'string', value: 'clip'}],
    ['general.name', {type: 'string', value: name}],
    ['general.alignment', u32(32)],
    ['general.file_type', u32(0)],
    ['clip.has_vision_encoder', {type: 'bool', value: true}],
    ['clip.projector_type', {type: 'string', value: 'mlp'}],
    ['clip.use_gelu', {type: 'bool', value: false}],
    ['clip.vision.image_size', u32(shape.imageSize)],
    ['clip.vision.patch_size', u32(shape.patchSize)],
    ['clip.vision.embedding_length', u32(shape.embeddingLength)],
    ['clip.vision.feed_forward_length', u32(shape.feedForwardLength)],
    ['clip.vision.block_count', u32(shape.blockCount)],
    ['clip.vision.attention.head_count', u32(shape.headCount)],
    ['clip.vision.attention.layer_norm_epsilon', f32(1e-5)],
    ['clip.vision.projection_dim', u32(textEmbeddingLength)],
    // CLIP ViT-L/14's normalization, as LLaVA 1.5 ships it.
    ['clip.vision.image_mean', floats([0.48145466, 0.4578275, 0.40821073])],
    ['clip.vision.image_std', floats([0.26862954, 0.26130258, 0.27577711])],
  ]
  const layout = projectorLayout(shape, textEmbeddingLength)
  const tensors = layout.map(({name: tensorName, dims, fill}, index): GgufTensor => {
    const count = dims.reduce((a, b) => a * b, 1)
    return {
      name: tensorName,
      dims,
      type: 'F32',
      *chunks() {
        const values = new Float32Array(count)
        if (fill === undefined) fillUniform(values, mixSeed(seed, index), 0, 0.02)
        else values.fill(fill)
        const bytes = new Uint8Array(count * 4)
        encode('F32', values, bytes)
        yield bytes
      },
    }
  })
  const sizeBytes = await writeGguf(path, {metadata, tensors})
  return {
    path,
    sizeBytes,
    tensorCount: tensors.length,
    parameterCount: layout.reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0),
    projectorType: 'mlp',
    imageTokens: (shape.imageSize / shape.patchSize) ** 2,
  }
}
