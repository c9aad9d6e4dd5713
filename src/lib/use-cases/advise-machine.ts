import {basename} from 'node:path'

import {findModel, listModels, type CatalogModel, type ModelTask, type Quant} from '../catalog/index.js'
import {inspectGgufFile, type GgufInspection} from '../engine/index.js'
import {UsageError} from '../errors/index.js'
import {detectHardware, type DetectHardwareOptions, type HardwareProfile} from '../hardware/index.js'
import {resolveModel} from '../store/index.js'
import {DEFAULT_CONTEXT_SIZE, DEFAULT_TARGET_TOKENS_PER_SECOND, MIN_CONTEXT_SIZE, recommend, summarizeRecommendation, type GgufFigures, type Recommendation} from '../advisor/index.js'

/** Options of {@link adviseMachine}. */
export interface AdviseMachineOptions {
  /**
   * A catalog id or alias; else any name `--model` takes (a `.gguf` path, an installed id or alias, an installed
   * `hf:` reference), whose file's header then gives exact sizes. Default: every catalog model.
   */
  model?: string
  /** The environment the model store is found from (`JSL_MED_MODELS_DIR`); default `process.env`. */
  env?: NodeJS.ProcessEnv
  /** Context size to plan for; default {@link DEFAULT_CONTEXT_SIZE}, reduced per model when it does not fit. */
  contextSize?: number
  /** A profile to advise for instead of detecting this machine's (fixtures, what-if questions). */
  profile?: HardwareProfile
  /** Options of the detection (when no profile is given). */
  detect?: DetectHardwareOptions
}

/** The advice for one model. */
export interface ModelAdvice {
  id: string
  name: string
  tasks: ModelTask[]
  license: string
  gated: boolean
  /** `owner/name` on Hugging Face; null for user-supplied models and local files. */
  repo: string | null
  /** How to get a model that is not openly downloadable; null otherwise. */
  userSupplied: string | null
  /** The file of the recommended quantization (path in the repo, or the local path). */
  file: string
  /** The GGUF quantization name of that file, e.g. `Q8_0`. */
  quantName: string
  recommendation: Recommendation
  /** The one-line reason. */
  summary: string
}

/** The result of `jsl-med hw`: the machine and the advice for each model. */
export interface HwResult {
  hardware: HardwareProfile
  assumptions: {
    /** The context size planned for (models may get less: see each recommendation). */
    contextSize: number
    contextSource: 'default' | 'flag'
    /** CPU speed worth trading quality for, in tokens/s. */
    targetTokensPerSecond: number
  }
  models: ModelAdvice[]
}

/**
 * Detects this machine (or takes a given profile) and recommends, for every catalog model or the one asked
 * for, the quantization, GPU layers, context size and threads, with reasons. A `.gguf` path is read with
 * node-llama-cpp's GGUF insights for exact sizes. Throws ModelNotFoundError for an unknown model.
 */
export async function adviseMachine(options: AdviseMachineOptions = {}): Promise<HwResult> {
  const contextSize = options.contextSize ?? DEFAULT_CONTEXT_SIZE
  if (!Number.isInteger(contextSize) || contextSize < 1) {
    throw new UsageError(`Invalid context size: ${contextSize}`, {hint: 'Pass a positive number of tokens.'})
  }

  const target = selectModels(options.model)
  const installed = target ? undefined : await resolveModel(options.model!, {env: options.env})
  const [hardware, gguf] = await Promise.all([
    options.profile ?? detectHardware(options.detect),
    installed === undefined ? undefined : inspectGgufFile(installed.path, {contextSizes: contextSizesFor(options.contextSize)}),
  ])
  const models: Array<{model: CatalogModel; gguf?: GgufFigures}> = gguf ? [modelFromGguf(gguf, installed?.id)] : target!.map((model) => ({model}))
  return {
    hardware,
    assumptions: {
      contextSize,
      contextSource: options.contextSize === undefined ? 'default' : 'flag',
      targetTokensPerSecond: DEFAULT_TARGET_TOKENS_PER_SECOND,
    },
    models: models.map(({model, gguf}) => adviseModel(hardware, model, {contextSize: options.contextSize, gguf})),
  }
}

function adviseModel(hardware: HardwareProfile, model: CatalogModel, options: {contextSize?: number; gguf?: GgufFigures}): ModelAdvice {
  const recommendation = recommend(hardware, model, options)
  const file = model.variants[recommendation.quant]!
  return {
    id: model.id,
    name: model.name,
    tasks: model.tasks,
    license: model.license,
    gated: model.gated,
    repo: model.repo ?? null,
    userSupplied: model.userSupplied?.note ?? null,
    file: file.file,
    quantName: file.quantName,
    recommendation,
    summary: summarizeRecommendation(recommendation),
  }
}

/**
 * Every catalog model, or the one named (by id or alias, with or without a `:q8` tag); undefined for any other
 * name, which the store resolves like every command's --model (a path, an installed id or alias, an `hf:` ref).
 */
function selectModels(model: string | undefined): readonly CatalogModel[] | undefined {
  if (model === undefined) return listModels()
  if (/\.gguf$/i.test(model)) return undefined
  const found = findModel(model) ?? findModel(model.replace(/:q(?:4|8|16)$/i, ''))
  return found ? [found] : undefined
}

function contextSizesFor(contextSize: number | undefined): number[] {
  if (contextSize !== undefined) return [contextSize]
  const sizes: number[] = []
  for (let size = DEFAULT_CONTEXT_SIZE; size >= MIN_CONTEXT_SIZE; size = Math.floor(size / 2)) sizes.push(size)
  return sizes
}

/** A catalog-shaped entry for a local GGUF file (named by its store id when installed), so that the same advisor applies. */
function modelFromGguf(inspection: GgufInspection, installedId: string | undefined): {model: CatalogModel; gguf: GgufFigures} {
  const quant = quantTierOf(inspection.quantName)
  const contextLength = inspection.trainContextSize ?? DEFAULT_CONTEXT_SIZE
  // The advisor caps the context at the training length; the figures were asked for the uncapped sizes too.
  const contextBytes = {...inspection.contextBytes}
  const model: CatalogModel = {
    id: installedId ?? basename(inspection.path).replace(/\.gguf$/i, ''),
    name: inspection.name,
    tasks: [],
    revision: 'local',
    license: 'unknown',
    gated: false,
    chatFamily: 'auto',
    contextLength,
    parameters: inspection.parameters,
    variants: {[quant]: {file: inspection.path, quantName: inspection.quantName, sizeBytes: inspection.weightsBytes, verified: true}},
    architecture: {...inspection.shape, ...(inspection.shape.slidingWindow ? {fullAttentionLayers: inspection.shape.layers} : {})},
  }
  return {model, gguf: {path: inspection.path, weightsBytes: inspection.weightsBytes, contextBytes}}
}

/** The tier of a GGUF quantization name: up to 5 bits → q4, up to 8 → q8, more → q16. */
export function quantTierOf(quantName: string): Quant {
  const upper = quantName.toUpperCase()
  if (/^(F16|BF16|F32|FP16)$/.test(upper)) return 'q16'
  const bits = Number(/^I?Q(\d)/.exec(upper)?.[1] ?? 16)
  return bits <= 5 ? 'q4' : bits <= 8 ? 'q8' : 'q16'
}
