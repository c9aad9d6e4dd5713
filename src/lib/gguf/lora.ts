import {encode} from './quantize.js'
import {fillUniform, mixSeed} from './random.js'
import {tensorLayout, validateShape, type ModelShape} from './synthesize.js'
import {writeGguf, type GgufTensor, type GgufValue} from './writer.js'

/** The weights a synthesized adapter adapts by default: every attention and feed-forward matrix of every block. */
export const DEFAULT_LORA_TARGETS = ['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down'] as const

/** Options of {@link synthesizeLora}. */
export interface SynthesizeLoraOptions {
  /** Destination file; written via `path + '.tmp'`, as models are. */
  path: string
  /** The shape of the model it adapts (give another shape to get a mismatched adapter). */
  shape: ModelShape
  /** Rank of the A·B update; default 4. */
  rank?: number
  /** `adapter.lora.alpha`: llama.cpp scales the update by scale × alpha / rank; default: the rank (a factor of 1). */
  alpha?: number
  /** `general.architecture`; default `llama` (give another to get an adapter llama.cpp refuses for the model). */
  architecture?: string
  /** Block weights to adapt (names without `blk.N.` and `.weight`); default {@link DEFAULT_LORA_TARGETS}. */
  targets?: readonly string[]
  /** Seed of the A and B weights; default 1. */
  seed?: number
  /** Standard deviation of the A and B weights; default 0.3, large enough to move a random model's greedy output. */
  std?: number
}

/** What {@link synthesizeLora} wrote. */
export interface SynthesizeLoraResult {
  path: string
  sizeBytes: number
  /** Tensors in the file: one `.lora_a` and one `.lora_b` per adapted weight. */
  tensorCount: number
}

/**
 * Writes a LoRA adapter in llama.cpp's GGUF form for a model of `shape` (see `src/llama-adapter.cpp`):
 * `general.type = "adapter"`, `adapter.type = "lora"`, `adapter.lora.alpha`, and for each adapted weight `W` (ggml
 * dims [in, out]) the F32 tensors `W.lora_a` [in, rank] and `W.lora_b` [rank, out], seeded random. Unlike a trained
 * adapter (B starts at zero), both are random, so that the adapter measurably changes a random model's logits.
 */
export async function synthesizeLora(options: SynthesizeLoraOptions): Promise<SynthesizeLoraResult> {
  const {path, shape, rank = 4, architecture = 'llama', targets = DEFAULT_LORA_TARGETS, seed = 1, std = 0.3} = options
  validateShape(shape)
  if (!Number.isSafeInteger(rank) || rank < 1) throw new Error(`rank must be a positive integer, got ${rank}`)
  const str = (value: string): GgufValue => ({type: 'string', value})
  const metadata: [string, GgufValue][] = [
    ['general.architecture', str(architecture)],
    ['general.type', str('adapter')],
    ['general.name', str('jsl-med synthetic lora')],
    ['general.alignment', {type: 'u32', value: 32}],
    ['adapter.type', str('lora')],
    ['adapter.lora.alpha', {type: 'f32', value: options.alpha ?? rank}],
  ]
  const wanted = new Set(targets)
  const adapted = tensorLayout(shape).filter(({name}) => wanted.has(/^blk\.\d+\.(.+)\.weight$/.exec(name)?.[1] ?? ''))
  if (adapted.length === 0) throw new Error(`no weight of the model matches the targets ${[...targets].join(', ')}`)
  const tensors = adapted.flatMap(({name, dims}, index): GgufTensor[] => [
    randomTensor(`${name}.lora_a`, [dims[0], rank], mixSeed(seed, 2 * index), std),
    randomTensor(`${name}.lora_b`, [rank, dims[1]], mixSeed(seed, 2 * index + 1), std),
  ])
  const sizeBytes = await writeGguf(path, {metadata, tensors})
  return {path, sizeBytes, tensorCount: tensors.length}
}

function randomTensor(name: string, dims: number[], seed: number, std: number): GgufTensor {
  return {
    name,
    dims,
    type: 'F32',
    chunks: function* () {
      const values = new Float32Array(dims[0] * dims[1])
      fillUniform(values, seed, 0, std)
      const bytes = new Uint8Array(values.length * 4)
      encode('F32', values, bytes)
      yield bytes
    },
  }
}
