// The vision worker: a child process that runs @fugood/llama.node (llama.cpp + mtmd) for the vision engine.
// Forked by engine.ts with stdout ignored: the native library prints `[INFO]` lines (quoting
// prompts) on stdout, which must never reach the record stream. Results go back over IPC only.

import type {ErrorMessage, FailureKind, GenerateMessage, LoadMessage, ParentMessage, WorkerMessage} from './protocol.js'
import {DEFAULT_MAX_CONTEXT} from '../defaults.js'

// Imported through a variable: the package ships TypeScript sources that would otherwise be type-checked as ours.
const FUGOOD_PACKAGE: string = '@fugood/llama.node'
const LOG_LINES_KEPT = 200

/** The parts of @fugood/llama.node's API this worker uses (the package ships TypeScript sources, not typings). */
interface FugoodModule {
  loadModel(options: Record<string, unknown>): Promise<FugoodContext>
  loadLlamaModelInfo(path: string): Promise<Record<string, number | string | undefined>>
  toggleNativeLog(enable: boolean): Promise<void>
  addNativeLogListener(listener: (level: string, text: string) => void): {remove(): void}
  BuildInfo: {number: string; commit: string}
}

interface FugoodContext {
  initMultimodal(options: {path: string; use_gpu?: boolean}): Promise<boolean> | boolean
  getMultimodalSupport(): {vision: boolean; audio: boolean}
  getUsedDevices(): string[]
  getModelInfo(): {metadata: Record<string, string>}
  getFormattedChat(messages: ChatMessage[], template?: string, params?: Record<string, unknown>): {prompt: string; media_paths?: string[]}
  tokenize(text: string, options?: {media_paths?: string[]}): Promise<{tokens: ArrayLike<number>}>
  parallel: {
    enable(config: {n_parallel: number; n_batch: number}): Promise<boolean>
    disable(): void
    completion(options: Record<string, unknown>): Promise<{promise: Promise<FugoodResult>; stop(): void}>
  }
  release(): Promise<void>
}

interface FugoodResult {
  text: string
  content?: string
  stopped_eos?: boolean
  stopped_limit?: boolean
  stopped_word?: boolean
  tokens_predicted?: number
  timings?: {cache_n?: number; prompt_n?: number; predicted_n?: number}
}

type ChatMessage = {role: string; content: string | Array<{type: string; text?: string; image_url?: {url: string}}>}

let fugood: FugoodModule | undefined
let context: FugoodContext | undefined
let contextPerSequence = DEFAULT_MAX_CONTEXT
let verbose = false
let shuttingDown = false
const recentLogs: string[] = []
const running = new Map<number, () => void>()
// Aborts that arrive before their generation has started.
const aborted = new Set<number>()

function send(message: WorkerMessage): void {
  process.send?.(message)
}

process.on('message', (message: ParentMessage) => {
  switch (message.type) {
    case 'load': {
      void load(message)
      break
    }

    case 'generate': {
      void generate(message)
      break
    }

    case 'abort': {
      const stop = running.get(message.id)
      if (stop) stop()
      else aborted.add(message.id)
      break
    }

    case 'dispose': {
      void shutdown(0)
      break
    }
  }
})

// An orphaned worker would keep a model in memory: leave with the parent.
process.on('disconnect', () => void shutdown(0))
// Ctrl-C reaches the whole process group; the parent decides what stops (it aborts, then disposes us).
process.on('SIGINT', () => {})

async function load(message: LoadMessage): Promise<void> {
  verbose = message.verbose
  try {
    const module = (await import(FUGOOD_PACKAGE)) as FugoodModule & {default?: FugoodModule}
    fugood = module.default ?? module
  } catch (error) {
    return loadError('engine', 'E_VISION_UNAVAILABLE', `the vision backend @fugood/llama.node cannot be loaded: ${describeError(error)}`, 'Reinstall jsl-med with its optional dependencies (npm install without --omit=optional); prebuilt binaries exist for Linux, macOS and Windows on x64 and arm64.')
  }

  fugood.addNativeLogListener((level, text) => {
    const line = text.trimEnd()
    if (line === '') return
    recentLogs.push(line)
    if (recentLogs.length > LOG_LINES_KEPT) recentLogs.shift()
    if (verbose) send({type: 'log', level: level === 'error' ? 'error' : level === 'warn' ? 'warn' : 'debug', message: line})
  })
  await fugood.toggleNativeLog(true)

  let trainContextSize: number | undefined
  try {
    const header = await fugood.loadLlamaModelInfo(message.modelPath)
    const value = Number(header[`${String(header['general.architecture'])}.context_length`])
    if (Number.isSafeInteger(value) && value > 0) trainContextSize = value
  } catch {
    // The context default below works without it; loadModel reports unreadable files itself.
  }

  contextPerSequence = message.contextSize ?? Math.min(trainContextSize ?? DEFAULT_MAX_CONTEXT, DEFAULT_MAX_CONTEXT)
  const useGpu = message.gpu !== 'off'
  try {
    context = await fugood.loadModel({
      model: message.modelPath,
      n_ctx: contextPerSequence * message.sequences,
      n_parallel: message.sequences,
      n_threads: message.threads,
      n_gpu_layers: useGpu ? 999 : 0,
      // Context shifting would silently drop the start of long prompts (and mtmd refuses it with images).
      ctx_shift: false,
      lib_variant: message.gpu === 'cuda' || message.gpu === 'vulkan' ? message.gpu : 'default',
    })
  } catch (error) {
    return loadError('engine', 'E_MODEL_LOAD', `llama.cpp could not load the model: ${describeError(error)}${logReason()}`, 'Check that the file is a complete GGUF text model; pass the projector with --mmproj, not as --model.')
  }

  let initialized = false
  try {
    initialized = Boolean(await context.initMultimodal({path: message.mmprojPath, use_gpu: useGpu}))
  } catch {
    // A thrown error and `false` mean the same here; the logs say why.
  }

  if (!initialized) {
    return loadError('engine', 'E_MMPROJ_INVALID', `llama.cpp could not load the vision projector${logReason()}`, 'Pass the mmproj file made for this model (same family and size); `jsl-med pull --vlm` fetches matching pairs.')
  }

  if (!context.getMultimodalSupport().vision) {
    return loadError('engine', 'E_MMPROJ_INVALID', 'the projector has no vision encoder (an audio-only projector?)', 'Pass a vision projector (mmproj) for this model.')
  }

  await context.parallel.enable({n_parallel: message.sequences, n_batch: 512})
  const devices = context.getUsedDevices()
  send({
    type: 'ready',
    contextSize: contextPerSequence,
    sequences: message.sequences,
    threads: message.threads,
    devices,
    chatTemplate: context.getModelInfo().metadata['tokenizer.chat_template'] ? 'jinja' : 'none',
    trainContextSize,
    backend: `@fugood/llama.node (llama.cpp build ${fugood.BuildInfo.number})`,
  })
}

async function generate(message: GenerateMessage): Promise<void> {
  const fail = (kind: FailureKind, code: string, text: string, hint?: string): void => send({type: 'error', id: message.id, kind, code, message: text, hint} satisfies ErrorMessage)
  if (!context) return fail('engine', 'E_ENGINE', 'the vision model is not loaded')
  const started = performance.now()
  const messages: ChatMessage[] = [
    ...(message.system ? [{role: 'system', content: message.system}] : []),
    {role: 'user', content: [...message.images.map((url) => ({type: 'image_url', image_url: {url}})), {type: 'text', text: message.user}]},
  ]
  try {
    // The parallel API returns an empty result for prompts beyond the slot's context, so check first.
    const formatted = context.getFormattedChat(messages, undefined, {jinja: true})
    const {tokens} = await context.tokenize(formatted.prompt, {media_paths: formatted.media_paths})
    if (tokens.length + message.maxTokens > contextPerSequence) {
      return fail('input', 'E_TOO_LONG', `the record needs ${tokens.length} prompt tokens (image included) + ${message.maxTokens} output tokens, but the context holds ${contextPerSequence}`, 'Lower --max-tokens, raise --context-size, or shorten the question.')
    }

    if (aborted.has(message.id)) return fail('interrupted', 'E_INTERRUPTED', 'Interrupted')
    const request = await context.parallel.completion({
      messages,
      jinja: true,
      enable_thinking: false,
      reasoning_format: 'none',
      n_predict: message.maxTokens,
      temperature: message.temperature,
      ...(message.seed === undefined ? {} : {seed: message.seed}),
      ...(message.grammar ? {grammar: message.grammar} : {}),
    })
    running.set(message.id, request.stop)
    if (aborted.has(message.id)) request.stop()
    const result = await request.promise
    const timings = result.timings ?? {}
    send({
      type: 'result',
      id: message.id,
      text: result.content ?? result.text,
      promptTokens: (timings.prompt_n ?? 0) + (timings.cache_n ?? 0) || tokens.length,
      outputTokens: timings.predicted_n ?? result.tokens_predicted ?? 0,
      stopReason: result.stopped_limit ? 'maxTokens' : result.stopped_word ? 'stopTrigger' : 'endOfText',
      durationMs: performance.now() - started,
    })
  } catch (error) {
    if (describeError(error) === 'Request cancelled') return fail('interrupted', 'E_INTERRUPTED', 'Interrupted')
    fail('engine', 'E_GENERATE', `llama.cpp failed to generate: ${describeError(error)}`)
  } finally {
    running.delete(message.id)
    aborted.delete(message.id)
  }
}

function loadError(kind: FailureKind, code: string, message: string, hint?: string): void {
  send({type: 'load-error', kind, code, message, hint})
}

// The last llama.cpp lines that explain a load failure (they describe files, never prompts).
function logReason(): string {
  const reasons = recentLogs.filter((line) => /mismatch|unknown projector|unable to find tensor|failed|error|invalid/i.test(line) && !/add_text/.test(line))
  return reasons.length === 0 ? '' : `: ${reasons.slice(-2).join('; ').slice(0, 400)}`
}

function describeError(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 300)
}

async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return
  shuttingDown = true
  for (const stop of running.values()) stop()
  try {
    context?.parallel.disable()
    await context?.release()
    // A live native log callback keeps the event loop alive: turn it off before leaving.
    await fugood?.toggleNativeLog(false)
  } finally {
    process.exit(code)
  }
}
