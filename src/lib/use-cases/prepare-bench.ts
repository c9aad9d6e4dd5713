import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {compareRecords, ensureSyntheticModel, parseBenchRecords, parseQuants, resolveBenchModels, resolveModelReference, type BenchModelSpec, type Comparison} from '../bench/index.js'
import {detectPhysicalCores} from '../cpu/index.js'
import {InputError, UsageError} from '../errors/index.js'
import {resolveModelPath} from '../store/index.js'

/** Options of {@link prepareBench}. */
export interface PrepareBenchOptions {
  /** Models to measure: GGUF paths, or installed models by id, alias, catalog alias or `hf:` reference. */
  models?: string[]
  /** The environment the model store is found from (`JSL_MED_MODELS_DIR`); default `process.env`. */
  env?: NodeJS.ProcessEnv
  /** A synthetic shape to measure instead (written once into `cacheDir`). */
  synthetic?: string
  /** Quantizations of the synthetic model, as `--quant` spells them (`q4,q8`); default q4. */
  quants?: string
  /** Threads asked for (`--threads`); default: none, so that `runBench` chooses from the free cores. */
  threads?: number
  /** oclif's cache dir: synthetic models live in its `synthetic/` folder. */
  cacheDir: string
  /** Progress of writing a synthetic model. */
  onSynthesize?: (spec: BenchModelSpec, writtenBytes: number, totalBytes: number) => void
  /**
   * Whether `quality` runs: its reference is then `reference`, else the synthetic shape's q16 (written if missing).
   * Default false.
   */
  quality?: boolean
  /** `--reference`: the model `quality` compares with, as `models` names them. */
  reference?: string
  /** Whether the speed tests run; `depths` is refused without them. Default false. */
  speed?: boolean
  /** `--text`, the text `quality` runs over: only checked here, as it is refused without `quality`. */
  text?: string
  /** `--depth` as given (undefined when it was not): only checked here, as it is refused without `speed`. */
  depths?: readonly number[]
}

/** What a bench run measures: the models, and the threads it measures them at when they are forced. */
export interface PreparedBench {
  models: BenchModelSpec[]
  /** The checked `--threads`; undefined when the run chooses them. */
  threads?: number
  /** The reference of `quality`, when it runs and one is known. */
  reference?: BenchModelSpec
}

/**
 * Refuses options the chosen tasks would ignore (`reference` and `text` without `quality`, `depths` without `speed`),
 * checks the thread count against the physical cores (more makes the figures meaningless) and resolves the models
 * to measure, synthesizing a random-weight one when asked.
 */
export async function prepareBench(options: PrepareBenchOptions): Promise<PreparedBench> {
  refuseIgnoredOptions(options)
  const physicalCores = await detectPhysicalCores()
  const {threads} = options
  if (threads !== undefined && threads > physicalCores) {
    throw new UsageError(`--threads ${threads} is more than this machine's ${physicalCores} physical cores`, {hint: 'More threads than cores makes llama.cpp far slower and the figures meaningless; use --threads ' + physicalCores + ' or fewer.'}, 'E_THREADS')
  }

  const models = await resolveBenchModels({
    models: options.models,
    synthetic: options.synthetic,
    quants: options.quants === undefined ? undefined : parseQuants(options.quants),
    syntheticDir: join(options.cacheDir, 'synthetic'),
    // The same names every command's --model takes: a path, an installed id or alias, a catalog alias, an hf: ref.
    resolver: async (reference) => resolveModelPath(reference, {env: options.env}),
    onSynthesize: options.onSynthesize,
  })
  return {models, threads, reference: options.quality ? await resolveReference(options) : undefined}
}

/** A flag the run would silently ignore is a usage error: the user meant it to change what is measured. */
function refuseIgnoredOptions(options: PrepareBenchOptions): void {
  if (options.reference && !options.quality) throw new UsageError('--reference applies to --tasks quality', {hint: 'Add quality to --tasks, or leave --reference out.'}, 'E_REFERENCE')
  if (options.text && !options.quality) throw new UsageError('--text applies to --tasks quality', {hint: 'Add quality to --tasks (e.g. --tasks speed,quality), or leave --text out.'}, 'E_TEXT')
  if (options.depths && !options.speed) throw new UsageError('--depth applies to --tasks speed', {hint: 'Add speed to --tasks (e.g. --tasks speed,quality), or leave --depth out.'}, 'E_DEPTH')
}

/** `--reference` (resolved like `--model`), else the q16 of the same random weights as the synthetic models. */
async function resolveReference(options: PrepareBenchOptions): Promise<BenchModelSpec | undefined> {
  if (options.reference) return resolveModelReference(options.reference, async (reference) => resolveModelPath(reference, {env: options.env}), '--reference')
  if (!options.synthetic) return undefined
  const pending: BenchModelSpec = {id: `synthetic:${options.synthetic}`, path: '', quant: 'q16', synthetic: true, shape: options.synthetic}
  const onProgress = options.onSynthesize && ((written: number, total: number) => options.onSynthesize!(pending, written, total))
  return (await ensureSyntheticModel({cacheDir: join(options.cacheDir, 'synthetic'), shape: options.synthetic, quant: 'q16', onProgress})).spec
}

/** `bench --compare A B`: reads both result files and compares them, record by record. */
export async function compareBenchFiles(files: string[], thresholdPercent: number): Promise<Comparison> {
  if (files.length !== 2) throw new UsageError(`--compare takes two files, got ${files.length}`, {hint: 'Use: --compare before.ndjson after.ndjson'})
  const [a, b] = await Promise.all(files.map(async (file) => parseBenchRecords(await readText(file), file)))
  return compareRecords(a, b, thresholdPercent)
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    throw new InputError(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code}`, {cause: error, hint: 'Check the paths given to --compare.'}, 'E_INPUT_FILE')
  }
}
