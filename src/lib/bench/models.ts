import {access} from 'node:fs/promises'
import {basename, join, resolve} from 'node:path'

import {ModelNotFoundError, UsageError} from '../errors/index.js'
import {SHAPES, synthesizeModel, type TensorType} from '../gguf/index.js'

/** The quantizations `bench --quant` names, and the GGUF tensor type a synthetic model of each is written in. */
export const QUANT_TYPES = {q4: 'Q4_0', q8: 'Q8_0', q16: 'F16'} as const satisfies Record<string, TensorType>

/** A `--quant` entry. */
export type Quant = keyof typeof QUANT_TYPES

/** Shapes `--synthetic` accepts (the project's GGUF writer's shapes). */
export const SYNTHETIC_SHAPES = Object.keys(SHAPES) as Array<keyof typeof SHAPES>

/** The seed of synthetic weights: fixed, so that the cached files are reused and identical on every machine. */
export const SYNTHETIC_WEIGHTS_SEED = 1

/** One model to benchmark. */
export interface BenchModelSpec {
  /** What the records call it: `synthetic:0.5b`, or the file name. */
  id: string
  path: string
  /** `q4`/`q8`/`q16` for synthetic models; for files, filled in from the GGUF's file type once loaded. */
  quant?: string
  synthetic: boolean
  /** The synthetic shape. */
  shape?: string
}

/** Parses a comma-separated `--quant` value. */
export function parseQuants(spec: string): Quant[] {
  const names = [...new Set(spec.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean))]
  if (names.length === 0) throw new UsageError('--quant is empty', {hint: 'Use some of: q4, q8, q16.'})
  for (const name of names) {
    if (!Object.hasOwn(QUANT_TYPES, name)) throw new UsageError(`unknown quantization '${name}'`, {hint: 'Use some of: q4 (Q4_0), q8 (Q8_0), q16 (F16).'}, 'E_QUANT')
  }

  return names as Quant[]
}

/** Options of {@link ensureSyntheticModel}. */
export interface SyntheticModelOptions {
  /** Where synthetic models are cached (e.g. `<cache dir>/synthetic`). */
  cacheDir: string
  shape: string
  quant: Quant
  /** Called while a new file is written. */
  onProgress?: (writtenBytes: number, totalBytes: number) => void
}

/**
 * Returns the cached synthetic model of this shape and quantization, writing it first when missing. Files are
 * written to a temporary name and renamed when complete, so a file in the cache is always whole.
 */
export async function ensureSyntheticModel(options: SyntheticModelOptions): Promise<{spec: BenchModelSpec; created: boolean}> {
  if (!Object.hasOwn(SHAPES, options.shape)) {
    throw new UsageError(`unknown synthetic shape '${options.shape}'`, {hint: `Use one of: ${SYNTHETIC_SHAPES.join(', ')}.`}, 'E_SHAPE')
  }

  const tensorType = QUANT_TYPES[options.quant]
  const path = join(options.cacheDir, `llama-${options.shape}-${tensorType}-seed${SYNTHETIC_WEIGHTS_SEED}.gguf`)
  const spec: BenchModelSpec = {id: `synthetic:${options.shape}`, path, quant: options.quant, synthetic: true, shape: options.shape}
  const cached = await access(path).then(
    () => true,
    () => false,
  )
  if (cached) return {spec, created: false}
  await synthesizeModel({
    path,
    shape: SHAPES[options.shape as keyof typeof SHAPES],
    tensorType,
    seed: SYNTHETIC_WEIGHTS_SEED,
    name: `jsl-med synthetic ${options.shape}`,
    onProgress: options.onProgress,
  })
  return {spec, created: true}
}

/** The error for a missing file, per flag: a reference must hold the same weights as the models, not any model. */
const NOT_FOUND = {
  '--model': {
    what: 'Model file',
    code: 'E_MODEL_NOT_FOUND',
    hint: 'Pass the path of a .gguf file or an installed model (jsl-med models), or measure a synthetic model with --synthetic 0.5b.',
  },
  '--reference': {
    what: 'Reference model file (--reference)',
    code: 'E_REFERENCE_NOT_FOUND',
    hint: 'Pass --reference an F16 or Q8_0 GGUF of the same weights as --model (a path or an installed model, see jsl-med models); with --synthetic, leave --reference out to compare with its q16.',
  },
} as const

/**
 * Resolves a `--model` (or `--reference`) value to a file: through `resolver` (the model store, which knows installed
 * ids, aliases, catalog aliases and `hf:` references, and throws for names it cannot place), else as a path.
 * `flag` names the flag in the error when the file is missing; default `--model`.
 */
export async function resolveModelReference(
  reference: string,
  resolver?: (reference: string) => Promise<string | undefined>,
  flag: keyof typeof NOT_FOUND = '--model',
): Promise<BenchModelSpec> {
  const fromResolver = resolver ? await resolver(reference) : undefined
  const path = resolve(fromResolver ?? reference)
  const found = await access(path).then(
    () => true,
    () => false,
  )
  if (!found) {
    const {what, code, hint} = NOT_FOUND[flag]
    throw new ModelNotFoundError(`${what} not found: ${reference}`, {hint}, code)
  }

  return {id: basename(path), path, synthetic: false}
}

/** Options of {@link resolveBenchModels}. */
export interface ResolveBenchModelsOptions {
  /** `--model` values: GGUF paths, or names the `resolver` maps to files. */
  models?: string[]
  /** `--synthetic` shape. */
  synthetic?: string
  /** Quantizations of the synthetic model; default `['q4']`. */
  quants?: Quant[]
  /** Where synthetic models are cached. */
  syntheticDir: string
  /** Maps catalog aliases to files (the catalog/store seam); default: paths only. */
  resolver?: (reference: string) => Promise<string | undefined>
  /** Progress of writing a synthetic model. */
  onSynthesize?: (spec: BenchModelSpec, writtenBytes: number, totalBytes: number) => void
}

/**
 * The models a bench run measures: each `--model` file, then the synthetic shape in each quantization (written into
 * the cache on first use). `--quant` with `--model` is refused: a file's quantization is fixed.
 */
export async function resolveBenchModels(options: ResolveBenchModelsOptions): Promise<BenchModelSpec[]> {
  const specs: BenchModelSpec[] = []
  if (options.models?.length && options.quants?.length && !options.synthetic) {
    throw new UsageError('--quant applies to --synthetic models', {hint: "A GGUF file's quantization is fixed: pass one --model per quantized file."}, 'E_QUANT')
  }

  for (const reference of options.models ?? []) specs.push(await resolveModelReference(reference, options.resolver))
  if (options.synthetic) {
    for (const quant of options.quants ?? ['q4']) {
      const pending: BenchModelSpec = {id: `synthetic:${options.synthetic}`, path: '', quant, synthetic: true, shape: options.synthetic}
      const {spec} = await ensureSyntheticModel({
        cacheDir: options.syntheticDir,
        shape: options.synthetic,
        quant,
        onProgress: options.onSynthesize ? (written, total) => options.onSynthesize!(pending, written, total) : undefined,
      })
      specs.push(spec)
    }
  }

  if (specs.length === 0) throw new UsageError('no model to benchmark', {hint: 'Pass --model PATH (a .gguf file) or --synthetic 0.5b.'}, 'E_NO_MODEL')
  return specs
}
