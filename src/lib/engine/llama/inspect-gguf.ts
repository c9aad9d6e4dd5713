import {basename} from 'node:path'

import type {GgufFileInfo, GgufInsights} from 'node-llama-cpp'

import type {ModelArchitecture} from '../../catalog/index.js'
import {EngineError} from '../../errors/index.js'
import {validateGgufFile} from '../../gguf/index.js'

/** Options of {@link inspectGgufFile}. */
export interface InspectGgufOptions {
  /** Context sizes (tokens, one sequence) to estimate the context memory for; capped at the training context. */
  contextSizes: number[]
}

/** What a GGUF header says about a model's memory needs, with node-llama-cpp's estimates. */
export interface GgufInspection {
  path: string
  /** `general.name`, or the file name. */
  name: string
  /** `general.architecture`, e.g. `llama`, `gemma3`. */
  architecture: string
  /** The dominant quantization, e.g. `Q4_K_M`, `Q8_0`, `F16`, `F32`. */
  quantName: string
  parameters: number
  /** The training context length, when the header has it. */
  trainContextSize?: number
  /** Bytes of the weights, from the tensor table (exact). */
  weightsBytes: number
  /** Transformer shape (block count, heads, head size, vocabulary). */
  shape: ModelArchitecture
  /** node-llama-cpp's estimate of a context's memory (KV cache + compute buffers), by context size. */
  contextBytes: Record<number, number>
}

/**
 * Reads a GGUF file's header and asks node-llama-cpp's GgufInsights for the exact weight size and the
 * context memory at each size asked for. Throws ModelNotFoundError / EngineError for a missing or bad file.
 */
export async function inspectGgufFile(path: string, options: InspectGgufOptions): Promise<GgufInspection> {
  await validateGgufFile(path)
  const nlc = await import('node-llama-cpp')
  try {
    const info = await nlc.readGgufFileInfo(path, {logWarnings: false})
    const insights = await nlc.GgufInsights.from(info)
    const contextBytes: Record<number, number> = {}
    // Sizes beyond the training context are estimated at the training context, which is what a loader uses.
    const sizes = new Set(options.contextSizes.map((size) => Math.min(size, insights.trainContextSize ?? size)))
    for (const contextSize of sizes) {
      const estimate = await insights.estimateContextResourceRequirementsV2({contextSize, modelGpuLayers: 0})
      contextBytes[contextSize] = estimate.cpuRam + estimate.gpuVram
    }

    const fileType = info.metadata.general?.file_type
    return {
      path,
      name: info.metadata.general?.name ?? basename(path),
      architecture: String(info.metadata.general?.architecture ?? 'unknown'),
      quantName: quantNameOf(fileType === undefined ? undefined : nlc.GgufFileType[fileType]),
      parameters: insights.totalParameters,
      trainContextSize: insights.trainContextSize,
      weightsBytes: insights.modelSize,
      shape: modelShapeOf(info, insights),
      contextBytes,
    }
  } catch (error) {
    throw new EngineError(`Could not read the GGUF header of ${path}: ${(error as Error).message?.slice(0, 200)}`, {
      cause: error,
      hint: 'Check that the file is a complete GGUF model (jsl-med pull verifies downloads).',
    }, 'E_MODEL_INVALID')
  }
}

/** The transformer shape a GGUF header declares (what KV-cache and compute estimates need). */
export function modelShapeOf(info: GgufFileInfo, insights: GgufInsights): ModelArchitecture {
  const meta = info.architectureMetadata
  const headCount = first(meta.attention?.head_count) ?? 1
  const embeddingLength = meta.embedding_length ?? 0
  return {
    layers: meta.block_count ?? insights.totalLayers - 1,
    embeddingLength,
    headCount,
    headCountKv: first(meta.attention?.head_count_kv) ?? headCount,
    headDim: meta.attention?.key_length ?? Math.round(embeddingLength / headCount),
    vocabSize: meta.vocab_size ?? info.metadata.tokenizer?.ggml?.tokens?.length ?? 0,
    ...(insights.swaSize ? {slidingWindow: insights.swaSize} : {}),
  }
}

function first(value: number | readonly number[] | undefined): number | undefined {
  return Array.isArray(value) ? value[0] : (value as number | undefined)
}

/** `MOSTLY_Q4_K_M` → `Q4_K_M`, `ALL_F32` → `F32`. */
function quantNameOf(fileTypeName: string | undefined): string {
  if (!fileTypeName) return 'unknown'
  return fileTypeName.replace(/^(MOSTLY|ALL)_/, '')
}
