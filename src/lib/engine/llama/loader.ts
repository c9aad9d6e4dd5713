import {resolve} from 'node:path'

import type {Llama, LlamaLogLevel, LlamaModel} from 'node-llama-cpp'

import {AppError, EngineError, InterruptedError, ResourceError} from '../../errors/index.js'
import type {EngineLogger, GpuChoice} from '../types.js'
import {validateGgufFile} from '../../gguf/index.js'
import {
  describeLlamaBinary,
  findNativeLlamaBuild,
  firstLoadedLlamaBinary,
  llamaBinaryOptions,
  noNativeBinaryError,
  noteLoadedLlamaBinary,
  readLlamaBinaryChoice,
  type LlamaBinary,
} from './binary.js'

/** Options of {@link loadLlamaModel}. */
export interface LoadLlamaModelOptions {
  modelPath: string
  /** GPU backend; default `auto`. */
  gpu?: GpuChoice
  /** The thread ceiling of the llama.cpp instance. */
  threads: number
  logger?: EngineLogger
  /** Pass llama.cpp's info-level logs too; default false (warnings and errors). */
  verbose?: boolean
  signal?: AbortSignal
}

/** node-llama-cpp, a llama.cpp instance and a loaded model. */
export interface LoadedLlamaModel {
  nlc: typeof import('node-llama-cpp')
  llama: Llama
  model: LlamaModel
  modelPath: string
  /** Wall time of loading the model, in milliseconds. */
  loadMs: number
  /** The llama.cpp binary that runs it (`JSL_MED_LLAMA_BINARY` picks it). */
  binary: LlamaBinary
  /** Releases this load's hold on `llama` (disposed when no other model holds it); call instead of `llama.dispose()`. */
  releaseLlama(): Promise<void>
}

/**
 * One llama.cpp instance per process, shared by every model loaded with the same options (an embedding model next to
 * a generation model) and kept when the last model is released, for the next load: node-llama-cpp 3.22 has one log
 * callback per process, and every further instance's `setLogger` lets the previous callback's finalizer clear it,
 * after which llama.cpp writes its log lines on stdout.
 */
let shared: {key: string; llama: Promise<Llama>; holders: number; instance?: Llama} | undefined

async function acquireLlama(key: string, create: () => Promise<Llama>, threads: number): Promise<{llama: Llama; release: () => Promise<void>}> {
  // A caller may still dispose the instance itself (`loaded.llama.dispose()`): a disposed one is replaced.
  if (shared?.key !== key || shared.instance?.disposed) {
    // Options changed (another --gpu): the idle instance goes, a new one comes (and takes the log callback).
    const previous = shared
    if (previous && previous.holders === 0) await previous.llama.then((llama) => llama.dispose(), () => {})
    const entry: NonNullable<typeof shared> = {key, llama: create(), holders: 0}
    shared = entry
    entry.llama.then(
      (llama) => (entry.instance = llama),
      () => {
        if (shared === entry) shared = undefined
      },
    )
  }

  const entry = shared!
  entry.holders++
  let llama: Llama
  try {
    llama = await entry.llama
  } catch (error) {
    entry.holders--
    throw error
  }

  llama.maxThreads = entry.holders > 1 ? Math.max(llama.maxThreads, threads) : threads
  let released = false
  return {
    llama,
    async release() {
      if (released) return
      released = true
      entry.holders--
    },
  }
}

/**
 * Validates a GGUF file, starts llama.cpp with our stderr logger (its default logger writes to stdout),
 * a bounded thread count and never a build from source, and loads the model. The binary is the one
 * `JSL_MED_LLAMA_BINARY` picks (default: the native build when there is one). Every failure is an AppError.
 */
export async function loadLlamaModel(options: LoadLlamaModelOptions): Promise<LoadedLlamaModel> {
  const modelPath = resolve(options.modelPath)
  await validateGgufFile(modelPath)
  const choice = readLlamaBinaryChoice()
  const native = await findNativeLlamaBuild()
  if (choice === 'native' && !native.built) throw noNativeBinaryError(native.building ? 'the native build is still being built' : `there is no native build (${native.dir})`)
  const nlc = await import('node-llama-cpp')
  const logger = options.logger ?? (() => {})
  if (choice === 'auto' && native.building) logger('debug', 'A native llama.cpp build is under way (npm run build:native); this run takes the prebuilt binary')
  let llama: Llama
  let releaseLlama: () => Promise<void>
  try {
    const key = JSON.stringify([choice, options.gpu ?? 'auto', Boolean(options.verbose)])
    ;({llama, release: releaseLlama} = await acquireLlama(key, () => nlc.getLlama({
      ...llamaBinaryOptions(choice, {nativeBuilding: native.building, nativeSlower: native.comparison?.preferred === 'prebuilt', loadedBefore: firstLoadedLlamaBinary()}),
      gpu: options.gpu === 'off' ? false : (options.gpu ?? 'auto'),
      logLevel: (options.verbose ? 'info' : 'warn') as LlamaLogLevel,
      logger: (level, message) => forwardLog(logger, level, message),
      maxThreads: options.threads,
      progressLogs: false,
    }), options.threads))
  } catch (error) {
    if (choice === 'native') throw noNativeBinaryError(`its build did not load for --gpu ${options.gpu ?? 'auto'}`, error)
    throw new EngineError(`No usable llama.cpp backend for --gpu ${options.gpu ?? 'auto'}`, {
      cause: error,
      hint: 'Use --gpu auto (falls back to the CPU) or --gpu off; a CUDA or Vulkan backend needs its driver and runtime installed.',
    }, 'E_BACKEND')
  }

  const binary = describeLlamaBinary(llama)
  noteLoadedLlamaBinary(binary)
  const started = performance.now()
  try {
    const model = await llama.loadModel({modelPath, gpuLayers: options.gpu === 'off' ? 0 : 'auto', loadSignal: options.signal})
    return {nlc, llama, model, modelPath, loadMs: performance.now() - started, binary, releaseLlama}
  } catch (error) {
    await releaseLlama()
    throw translateLlamaError(error, 'E_MODEL_LOAD', `Could not load model ${modelPath}`, '--gpu off or a smaller quantization', options.signal)
  }
}

/** Maps node-llama-cpp's failures to our errors; its messages name sizes and files, never prompt text. */
export function translateLlamaError(error: unknown, code: string, what: string, remedy: string, signal?: AbortSignal): Error {
  if (signal?.aborted) return new InterruptedError()
  if (error instanceof AppError) return error
  const message = error instanceof Error ? error.message : String(error)
  if ((error as Error)?.name === 'InsufficientMemoryError' || /insufficient memory|out of memory|failed to allocate|too large for the available/i.test(message)) {
    return new ResourceError(`${what}: not enough memory`, {cause: error, hint: `Try ${remedy}.`})
  }

  return new EngineError(`${what}: ${message.slice(0, 300)}`, {cause: error, hint: `Check the model file, or try ${remedy}. Run with --verbose for llama.cpp's log.`}, code)
}

const LEVELS: Record<string, 'debug' | 'error' | 'info' | 'warn'> = {
  fatal: 'error',
  error: 'error',
  warn: 'warn',
  info: 'info',
  log: 'info',
  debug: 'debug',
}

function forwardLog(logger: EngineLogger, level: string, message: string): void {
  const text = message.trimEnd()
  if (text) logger(LEVELS[level] ?? 'info', `llama.cpp: ${text}`)
}
