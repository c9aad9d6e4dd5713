import {basename, dirname, join} from 'node:path'

import {ConfigError, UsageError} from '../errors/index.js'
import {
  parseShape,
  synthesizeModel,
  synthesizeLora,
  synthesizeProjector,
  type SynthesizeLoraResult,
  type SynthesizeProjectorResult,
  type SynthesizeResult,
  type TensorType,
} from '../gguf/index.js'

/** Options of {@link synthesizeTryModel}. */
export interface SynthesizeTryModelOptions {
  /** Where the model goes; parent directories are created. */
  path: string
  /** A shape name (`tiny`, `0.5b`, …) or `key=value` overrides of `tiny`, as `parseShape` reads them. Default `'tiny'`. */
  shape?: string
  /** Storage type of the 2-D weights. Default `'F32'`. */
  tensorType?: TensorType
  /** Integer seed; the same seed gives byte-identical files. Default `1`. */
  seed?: number
  /** Write an embedding model (mean pooling) instead of a generative one. Default false. */
  embedding?: boolean
  /** Also write a vision projector (`mmproj-<file name>`) next to the model, sized for it. Default `false`. */
  projector?: boolean
  /** Also write a LoRA adapter (`lora-<file name>`, rank 4) next to the model, shaped for it. Default `false`. */
  lora?: boolean
  /** Called while the model is written, with bytes written and the final size. */
  onProgress?: (writtenBytes: number, totalBytes: number) => void
}

/** What {@link synthesizeTryModel} wrote. */
export interface SynthesizeTryModelResult {
  model: SynthesizeResult
  /** The projector, when asked for; `vlm -m MODEL` finds it next to the model without `--mmproj`. */
  projector?: SynthesizeProjectorResult
  /** The adapter, when asked for: `--lora lora-<file name>` applies it. */
  lora?: SynthesizeLoraResult
}

/** The projector's file name next to a model, as Hugging Face repositories name them (`mmproj-…`). */
export function projectorPathFor(modelPath: string): string {
  const name = basename(modelPath)
  return join(dirname(modelPath), `mmproj-${name.toLowerCase().endsWith('.gguf') ? name : `${name}.gguf`}`)
}

/**
 * Writes a random-weight text model (and optionally its vision projector), so that every command can be tried
 * without a download. Bad shapes and seeds are usage errors.
 */
export async function synthesizeTryModel(options: SynthesizeTryModelOptions): Promise<SynthesizeTryModelResult> {
  const {path, tensorType = 'F32', seed = 1} = options
  let shape
  try {
    shape = parseShape(options.shape ?? 'tiny')
  } catch (error) {
    throw new UsageError(`Bad --shape: ${(error as Error).message}`, {hint: 'Use tiny, 0.25b, 0.5b, 1.7b, 3.5b or 8b, or e.g. embd=64,layers=2.', cause: error})
  }

  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed must be an integer, got ${seed}`, {hint: 'Pass a whole number, e.g. --seed 7.'})
  let model: SynthesizeResult
  try {
    model = await synthesizeModel({path, shape, tensorType, seed, pooling: options.embedding ? 'mean' : undefined, onProgress: options.onProgress})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code) throw cannotWrite(path, error)
    // Anything else is validateShape naming the hyperparameter at fault.
    throw new UsageError(`Bad --shape: ${(error as Error).message}`, {hint: 'Check the key=value overrides given to --shape.', cause: error})
  }

  const result: SynthesizeTryModelResult = {model}
  if (options.projector) {
    const projectorPath = projectorPathFor(path)
    result.projector = await synthesizeProjector({path: projectorPath, textEmbeddingLength: shape.embeddingLength, seed}).catch((error) => {
      throw cannotWrite(projectorPath, error)
    })
  }

  if (options.lora) {
    const loraPath = join(dirname(path), `lora-${basename(path)}`)
    result.lora = await synthesizeLora({path: loraPath, shape, seed}).catch((error) => {
      throw cannotWrite(loraPath, error)
    })
  }

  return result
}

function cannotWrite(path: string, error: unknown): ConfigError {
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown error'
  return new ConfigError(`Cannot write ${path} (${code})`, {hint: 'Pick a path in a directory you can write to, with room for the file.', cause: error}, 'E_WRITE')
}
