import {createEchoEngine} from './echo/engine.js'
import type {Engine, EngineOptions} from './types.js'

export {DEFAULT_MAX_CONTEXT, DEFAULT_TOKEN_TIMEOUT_MS} from './defaults.js'
export {ECHO_FAIL_MARKER} from './echo/engine.js'
export {probeLlamaBackend} from './llama/probe-backend.js'
export type {BackendGpuType, BackendProbe, ProbeBackendOptions} from './llama/probe-backend.js'
export {
  BINARY_COMPARISON_FILE,
  describeLlamaBinary,
  findNativeLlamaBuild,
  inspectLlamaBinary,
  LLAMA_BINARY_CHOICES,
  LLAMA_BINARY_ENV,
  llamaBinaryOptions,
  preferredBinary,
  readLlamaBinaryChoice,
} from './llama/binary.js'
export type {BinaryComparison, LlamaBinary, LlamaBinaryChoice, LlamaBinaryOptions, LlamaBinaryState, LlamaBinaryStatus, NativeLlamaBuild} from './llama/binary.js'
export {inspectGgufFile} from './llama/inspect-gguf.js'
export type {GgufInspection, InspectGgufOptions} from './llama/inspect-gguf.js'
export type * from './types.js'

/**
 * Creates an engine. `llama` (the default) loads node-llama-cpp lazily, so importing this module
 * stays cheap and `--help` never loads llama.cpp.
 */
export async function createEngine(options: EngineOptions): Promise<Engine> {
  if (options.kind === 'echo') return createEchoEngine()
  const {createLlamaEngine} = await import('./llama/engine.js')
  return createLlamaEngine(options)
}

export type * from './bench/types.js'

/**
 * Loads a model for `bench`: llama-bench-style speed tests (pp/tg with fixed token counts) and
 * lm-evaluation-harness-style log-likelihood scoring. node-llama-cpp is imported lazily here too.
 */
export async function openBenchModel(options: import('./bench/types.js').BenchModelOptions): Promise<import('./bench/types.js').BenchModel> {
  const {openBenchModel: open} = await import('./bench/model.js')
  return open(options)
}

export type * from './embedding/types.js'
export {normalize as normalizeVector} from './embedding/echo.js'

/**
 * Creates an embedder: `llama` runs a GGUF model's embedding context in llama.cpp (node-llama-cpp loaded lazily, as
 * in createEngine), `echo` is a deterministic hashed bag of words that needs no model.
 */
export async function createEmbedder(options: import('./embedding/types.js').EmbedderOptions): Promise<import('./embedding/types.js').Embedder> {
  if (options.kind === 'echo') {
    const {createEchoEmbedder} = await import('./embedding/echo.js')
    return createEchoEmbedder()
  }

  const {createLlamaEmbedder} = await import('./embedding/llama.js')
  return createLlamaEmbedder(options)
}

export type * from './vision/types.js'
export {checkJsonSchema, jsonSchemaToGbnf, validateJsonValue} from './json-schema/index.js'
export {requestGbnf} from './llama/request-grammar.js'

/**
 * Creates a vision engine (text model + mmproj projector): `llama` runs llama.cpp's mtmd in a worker process
 * (@fugood/llama.node, imported only there), `echo` is the deterministic stand-in. Loaded lazily like createEngine.
 */
export async function createVisionEngine(options: import('./vision/types.js').VisionEngineOptions): Promise<import('./vision/types.js').VisionEngine> {
  if (options.kind === 'echo') {
    const {createEchoVisionEngine} = await import('./vision/echo.js')
    return createEchoVisionEngine()
  }

  const {createLlamaVisionEngine} = await import('./vision/engine.js')
  return createLlamaVisionEngine(options)
}
