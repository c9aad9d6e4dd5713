import {readdir, stat} from 'node:fs/promises'
import {basename, join, resolve} from 'node:path'

import {findModel, listModels, type CatalogModel, type ModelTask, type Quant} from '../catalog/index.js'
import {inspectGgufFile, type GgufInspection} from '../engine/index.js'
import {UsageError} from '../errors/index.js'
import {detectHardware, type DetectHardwareOptions, type HardwareProfile} from '../hardware/index.js'
import {identifyFile} from '../bench/index.js'
import {resolveDirs} from '../paths/index.js'
import {HISTORY_DIR, machineKey, readHistory, selectMeasurements} from '../results/index.js'
import {listInstalledModels, resolveModel, type InstalledModel} from '../store/index.js'
import {
  DEFAULT_CONTEXT_SIZE,
  DEFAULT_TARGET_TOKENS_PER_SECOND,
  MIN_CONTEXT_SIZE,
  recommend,
  summarizeRecommendation,
  type GgufFigures,
  type Measurement,
  type Recommendation,
} from '../advisor/index.js'

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
  /** Where the bench history is (`<dataDir>/bench`); default `resolveDirs({env}).dataDir` (`JSL_MED_DATA_DIR`). */
  dataDir?: string
  /** Where file digests are cached (see identifyFile); default `resolveDirs({env}).cacheDir`. */
  cacheDir?: string
  /**
   * The hardware key whose bench history applies. Default: this machine's (which loads llama.cpp, about 0.7 s,
   * but only when the data directory holds a history at all); none for a given `profile` (another machine).
   */
  hardwareKey?: string
  /** Receives diagnostics (stderr); default: dropped. */
  logger?: (level: 'debug' | 'warn', message: string) => void
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
  /** What bench measured on this machine for each quantization's file (the recommended one's is `recommendation.measured`). */
  measurements: Array<{quant: Quant} & Measurement>
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
  /** The bench history read: this machine's hardware key and file; null when there is none or the key is unknown. */
  history: {hardwareKey: string; file: string; records: number; skipped: number} | null
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
  const dirs = resolveDirs({env: options.env})
  const dataDir = options.dataDir ?? dirs.dataDir
  // This machine's key needs llama.cpp's own view of it; load it only when there is a history to look up.
  const wantsKey = !options.profile && options.hardwareKey === undefined && (await hasHistory(dataDir))
  const detect: DetectHardwareOptions = wantsKey && options.detect?.loadBackend !== 'never' ? {...options.detect, loadBackend: 'always'} : (options.detect ?? {})
  const [hardware, gguf] = await Promise.all([
    options.profile ?? detectHardware(detect),
    installed === undefined ? undefined : inspectGgufFile(installed.path, {contextSizes: contextSizesFor(options.contextSize)}),
  ])
  const models: Array<{model: CatalogModel; gguf?: GgufFigures}> = gguf ? [modelFromGguf(gguf, installed?.id)] : target!.map((model) => ({model}))
  const key = options.hardwareKey ?? (wantsKey ? await machineKey(hardware) : undefined)
  if (wantsKey && key === undefined) options.logger?.('debug', 'hw: llama.cpp did not load, so the bench history of this machine cannot be told apart; figures are estimated')
  const {history, measurements} = await findMeasurements(models.map(({model}) => model), key, {...options, dataDir, cacheDir: options.cacheDir ?? dirs.cacheDir})
  return {
    hardware,
    assumptions: {
      contextSize,
      contextSource: options.contextSize === undefined ? 'default' : 'flag',
      targetTokensPerSecond: DEFAULT_TARGET_TOKENS_PER_SECOND,
    },
    history,
    models: models.map(({model, gguf}, index) => adviseModel(hardware, model, {contextSize: options.contextSize, gguf, measurements: measurements[index]})),
  }
}

/** The newest figures bench measured on the machine of `key`, per model (in order) and quantization. */
async function findMeasurements(
  models: readonly CatalogModel[],
  key: string | undefined,
  options: Pick<AdviseMachineOptions, 'env' | 'logger'> & {dataDir: string; cacheDir: string},
): Promise<{history: HwResult['history']; measurements: Array<Partial<Record<Quant, Measurement>>>}> {
  if (key === undefined) return {history: null, measurements: models.map(() => ({}))}
  const {records, skipped, file} = await readHistory(options.dataDir, key)
  if (skipped > 0) options.logger?.('warn', `${file}: ${skipped} unreadable ${skipped === 1 ? 'line' : 'lines'} skipped`)
  const inStore = records.length > 0 ? await listInstalledModels({env: options.env}) : []
  const files = await Promise.all(models.map(async (model) => filesOf(model, records, inStore, options.cacheDir)))
  const measured = selectMeasurements(records, files.flatMap((byQuant) => Object.values(byQuant)))
  const measurements = files.map((byQuant) => {
    const found: Partial<Record<Quant, Measurement>> = {}
    for (const [quant, sha256] of Object.entries(byQuant) as Array<[Quant, string]>) {
      const figures = measured.get(sha256)
      if (figures) found[quant] = figures
    }

    return found
  })
  return {history: {hardwareKey: key, file, records: records.length, skipped}, measurements}
}

async function hasHistory(dataDir: string): Promise<boolean> {
  const names = await readdir(join(dataDir, HISTORY_DIR)).catch(() => [] as string[]) // no folder: nothing measured yet
  return names.some((name) => name.endsWith('.ndjson'))
}

/**
 * The sha256 of each quantization's file: the catalog's, else the model store's for an installed file; for a local
 * file not in the store its digest, computed (and cached) only when the history holds a record of a file of the same
 * size, so that a large model never benchmarked here is not read for nothing.
 */
async function filesOf(model: CatalogModel, records: readonly unknown[], installed: readonly InstalledModel[], cacheDir: string): Promise<Partial<Record<Quant, string>>> {
  const files: Partial<Record<Quant, string>> = {}
  for (const [quant, variant] of Object.entries(model.variants) as Array<[Quant, CatalogModel['variants'][Quant]]>) {
    if (!variant) continue
    const local = model.revision === 'local'
    const entry = installed.find((candidate) => (local ? candidate.path === resolve(variant.file) : candidate.catalogId === model.id && candidate.quant === quant))
    const sha256 = variant.sha256 ?? entry?.sha256
    if (sha256 || !local) {
      if (sha256) files[quant] = sha256
      continue
    }

    const sizeBytes = await stat(variant.file).then((stats) => stats.size, () => undefined)
    const sameSize = records.some((record) => (record as {model?: {sizeBytes?: unknown}}).model?.sizeBytes === sizeBytes)
    if (sizeBytes !== undefined && sameSize) files[quant] = (await identifyFile(variant.file, cacheDir)).sha256
  }

  return files
}

function adviseModel(hardware: HardwareProfile, model: CatalogModel, options: {contextSize?: number; gguf?: GgufFigures; measurements: Partial<Record<Quant, Measurement>>}): ModelAdvice {
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
    measurements: (['q4', 'q8', 'q16'] as const).flatMap((quant) => (options.measurements[quant] ? [{quant, ...options.measurements[quant]}] : [])),
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
