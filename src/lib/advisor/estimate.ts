import type {CatalogModel, ModelArchitecture, Quant} from '../catalog/index.js'
import type {GgufFigures} from './types.js'

/** llama.cpp's batch size: the compute buffers hold one batch of this many tokens. */
export const BATCH_SIZE = 512

/** Bytes per parameter of each tier when no file size is known (Q4_K_M ≈ 4.85 bits, Q8_0 = 8.5 bits, F16). */
export const BYTES_PER_PARAMETER: Record<Quant, number> = {q4: 0.61, q8: 1.0625, q16: 2}

/** Memory of one quantization at one context size, before it is split between GPU and CPU. */
export interface RawEstimate {
  weightsBytes: number
  kvCacheBytes: number
  computeBytes: number
  totalBytes: number
  source: 'catalog' | 'gguf' | 'parameters'
}

/** llama.cpp pads context sizes to multiples of 256 cells. */
export function padContext(tokens: number): number {
  return Math.ceil(tokens / 256) * 256
}

/**
 * A shape for models whose architecture is unknown: conservative for the size class (no grouped-query
 * attention below 5B parameters, which gives the largest KV cache of its class).
 */
export function assumedArchitecture(parameters: number): ModelArchitecture {
  const billions = parameters / 1e9
  if (billions < 1) return {layers: 24, embeddingLength: 1024, headCount: 16, headCountKv: 4, headDim: 64, vocabSize: 151_936}
  if (billions < 2.5) return {layers: 28, embeddingLength: 2048, headCount: 16, headCountKv: 8, headDim: 128, vocabSize: 151_936}
  if (billions < 5) return {layers: 32, embeddingLength: 3072, headCount: 32, headCountKv: 32, headDim: 96, vocabSize: 151_936}
  if (billions < 10) return {layers: 32, embeddingLength: 4096, headCount: 32, headCountKv: 8, headDim: 128, vocabSize: 152_064}
  return {layers: 48, embeddingLength: 5120, headCount: 40, headCountKv: 8, headDim: 128, vocabSize: 152_064}
}

/**
 * KV cache bytes for a context: K and V in F16 for every layer and token; layers with a sliding window keep only
 * the window plus one batch (as llama.cpp allocates them).
 */
export function kvCacheBytes(architecture: ModelArchitecture, contextSize: number): number {
  const cells = padContext(contextSize)
  const bytesPerCellPerLayer = 2 * 2 * architecture.headCountKv * architecture.headDim
  const fullLayers = architecture.slidingWindow
    ? Math.min(architecture.fullAttentionLayers ?? architecture.layers, architecture.layers)
    : architecture.layers
  const windowLayers = architecture.layers - fullLayers
  const windowCells = architecture.slidingWindow ? Math.min(cells, padContext(architecture.slidingWindow + BATCH_SIZE + 1)) : cells
  return bytesPerCellPerLayer * (fullLayers * cells + windowLayers * windowCells)
}

/**
 * Compute buffer bytes: the logits of one batch (vocabulary × batch × 4 bytes) plus activations. Matches what
 * llama.cpp reserves with flash attention, which node-llama-cpp enables when the model supports it.
 */
export function computeBytes(architecture: ModelArchitecture, contextSize: number): number {
  const batch = Math.min(BATCH_SIZE, padContext(contextSize))
  return 4 * batch * (architecture.vocabSize + 4 * architecture.embeddingLength)
}

/** The weight, KV cache and compute memory of a model at one quantization and context size. */
export function estimateMemory(model: CatalogModel, quant: Quant, contextSize: number, gguf?: GgufFigures): RawEstimate {
  const architecture = model.architecture ?? assumedArchitecture(model.parameters)
  const kv = kvCacheBytes(architecture, contextSize)
  const exactContext = gguf?.contextBytes[contextSize]
  if (gguf && exactContext !== undefined) {
    return {
      weightsBytes: gguf.weightsBytes,
      kvCacheBytes: kv,
      computeBytes: Math.max(0, exactContext - kv),
      totalBytes: gguf.weightsBytes + Math.max(exactContext, kv),
      source: 'gguf',
    }
  }

  const size = gguf?.weightsBytes ?? model.variants[quant]?.sizeBytes
  const weightsBytes = size ?? Math.round(model.parameters * BYTES_PER_PARAMETER[quant])
  const compute = computeBytes(architecture, contextSize)
  const source = gguf ? 'gguf' : size === undefined ? 'parameters' : 'catalog'
  return {weightsBytes, kvCacheBytes: kv, computeBytes: compute, totalBytes: weightsBytes + kv + compute, source}
}

/** VRAM node-llama-cpp keeps free: 8% of the total, at most 1.6 GiB (its `vramPadding` default). */
export function vramPaddingBytes(totalBytes: number): number {
  return Math.floor(Math.min(totalBytes * 0.08, 1.6 * 1024 ** 3))
}

/** RAM node-llama-cpp keeps free: 25% of the total, at most 1 GiB on Linux and 6 GiB elsewhere (its `ramPadding` default). */
export function ramPaddingBytes(totalBytes: number, platform: string): number {
  return Math.floor(Math.min(totalBytes * 0.25, (platform === 'linux' ? 1 : 6) * 1024 ** 3))
}
