import {fork, type ChildProcess} from 'node:child_process'
import {stat} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {dirname, join, resolve} from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {AppError, EngineError, InputError, InterruptedError, ModelNotFoundError, UsageError} from '../../errors/index.js'
import {chooseThreads, describeThreadChoice, measureFreeCores, readCpuLimits} from '../../cpu/index.js'
import type {EngineLogger} from '../types.js'
import {checkJsonSchema, jsonSchemaToGbnf, validateJsonValue} from '../json-schema/index.js'
import type {FailureKind, LoadMessage, ParentMessage, ReadyMessage, WorkerMessage} from './protocol.js'
import type {VisionChatRequest, VisionEngine, VisionEngineInfo, VisionEngineOptions, VisionGeneration} from './types.js'
import {validateGgufFile} from '../../gguf/index.js'

/** How often a crashed worker is started again before the engine gives up. */
const MAX_RESTARTS = 2
const DISPOSE_TIMEOUT_MS = 5000

/**
 * Loads a text model and its vision projector (mmproj) in a worker process running llama.cpp's mtmd
 * (@fugood/llama.node) and returns a {@link VisionEngine}. Both files are checked first: a missing file is a
 * ModelNotFoundError (exit 4); a file that is not GGUF, a projector passed as the model or a text model
 * passed as the projector is an EngineError (exit 7).
 */
export async function createLlamaVisionEngine(options: VisionEngineOptions): Promise<VisionEngine> {
  if (!options.modelPath) {
    throw new UsageError('No model given', {hint: 'Pass --model PATH to a .gguf vision model, with --mmproj PATH for its projector.'}, 'E_NO_MODEL')
  }

  const modelPath = resolve(options.modelPath)
  await validateGgufFile(modelPath)
  const nlc = await import('node-llama-cpp')
  const architectureOf = async (path: string): Promise<string> =>
    String((await nlc.readGgufFileInfo(path, {logWarnings: false, sourceType: 'filesystem'})).metadata?.general?.architecture ?? '')
  if ((await architectureOf(modelPath)) === 'clip') {
    throw new EngineError(`${modelPath} is a vision projector, not a language model`, {hint: 'Pass it as --mmproj, and the language model as --model.'}, 'E_MODEL_INVALID')
  }

  if (!options.mmprojPath) {
    throw new ModelNotFoundError('No vision projector (mmproj) for the model', {
      hint: 'Pass --mmproj PATH: the mmproj-*.gguf file published next to the model (vision models come as a pair).',
    }, 'E_MMPROJ_MISSING')
  }

  const mmprojPath = resolve(options.mmprojPath)
  await validateProjectorFile(mmprojPath)
  const projectorArchitecture = await architectureOf(mmprojPath)
  if (projectorArchitecture !== 'clip') {
    throw new EngineError(`${mmprojPath} is not a vision projector (its architecture is ${projectorArchitecture || 'unknown'})`, {
      hint: 'Pass the mmproj-*.gguf file as --mmproj; the language model goes to --model.',
    }, 'E_MMPROJ_INVALID')
  }

  const load: LoadMessage = {
    type: 'load',
    modelPath,
    mmprojPath,
    threads: options.threads ?? (await freeCpuThreads(options.logger)),
    contextSize: options.contextSize,
    sequences: options.sequences ?? 1,
    gpu: options.gpu ?? 'auto',
    verbose: Boolean(options.verbose),
  }
  const worker = new WorkerHandle(load, options.workerPath, options.logger ?? (() => {}))
  const ready = await worker.start(options.signal)
  const info: VisionEngineInfo = {
    kind: 'llama',
    modelPath,
    mmprojPath,
    contextSize: ready.contextSize,
    sequences: ready.sequences,
    threads: ready.threads,
    gpu: ready.devices.some((device) => device !== 'CPU') ? ready.devices.join(',') : false,
    chatWrapper: ready.chatTemplate,
    trainContextSize: ready.trainContextSize,
    backend: ready.backend,
  }
  options.logger?.('debug', `vision model loaded: ${JSON.stringify(info)}`)
  return new LlamaVisionEngine(info, worker)
}

async function validateProjectorFile(path: string): Promise<void> {
  try {
    await stat(path)
  } catch (error) {
    throw new ModelNotFoundError(`Vision projector not found: ${path}`, {cause: error, hint: 'Check the path given to --mmproj.'}, 'E_MMPROJ_NOT_FOUND')
  }

  await validateGgufFile(path)
}

/** Every request gets a record of its own; a worker crash fails the requests in flight. */
interface Pending {
  resolve(message: Extract<WorkerMessage, {type: 'result'}>): void
  reject(error: AppError): void
}

class LlamaVisionEngine implements VisionEngine {
  readonly vision = true as const

  constructor(
    readonly info: VisionEngineInfo,
    private readonly worker: WorkerHandle,
  ) {}

  countTokens(): number {
    throw new EngineError('the vision engine does not count tokens outside a request', {hint: 'Prompts are checked against the context inside chat().'}, 'E_UNSUPPORTED')
  }

  countPromptTokens(): number {
    return this.countTokens()
  }

  async chat(request: VisionChatRequest): Promise<VisionGeneration> {
    if (request.signal?.aborted) throw new InterruptedError()
    let grammar: string | undefined
    if (request.schema) {
      const problems = checkJsonSchema(request.schema)
      if (problems.length > 0) throw new EngineError(`the JSON schema cannot be enforced: ${problems.slice(0, 3).join('; ')}`, {hint: 'Use the supported subset (see `jsl-med vlm --help`).'}, 'E_SCHEMA_UNSUPPORTED')
      grammar = jsonSchemaToGbnf(request.schema)
    }

    const images = (request.images ?? []).map((image) => `data:${image.mimeType};base64,${Buffer.from(image.data).toString('base64')}`)
    const result = await this.worker.request(
      {system: request.system, user: request.user, images, maxTokens: request.maxTokens, temperature: request.temperature ?? 0, seed: request.seed, grammar},
      request.signal,
    )
    const generation: VisionGeneration = {
      text: result.text,
      stopReason: result.stopReason,
      promptTokens: result.promptTokens,
      outputTokens: result.outputTokens,
      durationMs: result.durationMs,
      images: images.length,
    }
    if (!request.schema) return generation
    try {
      return {...generation, json: parseStructured(result.text, request.schema, result.stopReason === 'maxTokens')}
    } catch (error) {
      // The caller repairs or rejects invalid output itself (Engine contract of acceptInvalidJson).
      if (request.acceptInvalidJson) return generation
      throw error
    }
  }

  async dispose(): Promise<void> {
    await this.worker.dispose()
  }
}

function parseStructured(text: string, schema: NonNullable<VisionChatRequest['schema']>, cutOff: boolean): unknown {
  const hint = cutOff
    ? 'The output was cut off at --max-tokens: raise it, or bound strings with maxLength and arrays with maxItems.'
    : 'Bound strings with maxLength and arrays with maxItems, and describe the expected JSON in the question.'
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new EngineError(`the model's output is not complete JSON${cutOff ? ' (cut off at --max-tokens)' : ''}`, {cause: error, hint}, 'E_OUTPUT_INVALID')
  }

  const problems = validateJsonValue(value, schema)
  if (problems.length > 0) throw new EngineError(`the model's output does not match the schema: ${problems.slice(0, 3).join('; ')}`, {hint}, 'E_OUTPUT_INVALID')
  return value
}

function workerEntry(workerPath: string | undefined): {path: string; execArgv: string[]} {
  const here = fileURLToPath(import.meta.url)
  const path = workerPath ?? join(dirname(here), here.endsWith('.ts') ? 'worker.ts' : 'worker.js')
  // Running from TypeScript sources (tests, bin/dev.js): the worker needs tsx too.
  const execArgv = path.endsWith('.ts') ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : []
  return {path, execArgv}
}

/** The parent's side of one worker process: start, requests, crash detection, restart, dispose. */
class WorkerHandle {
  private child?: ChildProcess
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private restarts = 0
  private disposed = false

  constructor(
    private readonly load: LoadMessage,
    private readonly workerPath: string | undefined,
    private readonly logger: EngineLogger,
  ) {}

  start(signal?: AbortSignal): Promise<ReadyMessage> {
    const {path, execArgv} = workerEntry(this.workerPath)
    // stdout is ignored on purpose: the native library prints prompt-quoting [INFO] lines there.
    const child = fork(path, [], {stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv, serialization: 'json'})
    this.child = child
    const stderr = createInterface({input: child.stderr!})
    // Lines printed while loading describe the files, and explain load failures; later lines may quote prompts.
    const loadLines: string[] = []
    let loading = true
    stderr.on('line', (line) => {
      if (loading && loadLines.length < 400) loadLines.push(line)
      // llama.cpp's own stderr lines may quote prompts: shown with --verbose only.
      if (this.load.verbose && line.trim() !== '') this.logger('debug', `[vision worker] ${line}`)
    })
    child.on('message', (message: WorkerMessage) => this.onMessage(message))
    child.on('exit', (code, exitSignal) => this.onExit(child, code, exitSignal))
    child.on('error', (error) => this.logger('error', `vision worker: ${error.message}`))

    const ready = new Promise<ReadyMessage>((resolvePromise, rejectPromise) => {
      const onAbort = (): void => {
        child.kill('SIGKILL')
        rejectPromise(new InterruptedError())
      }

      signal?.addEventListener('abort', onAbort, {once: true})
      const settle = (): void => signal?.removeEventListener('abort', onAbort)
      child.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          loading = false
          settle()
          resolvePromise(message)
        } else if (message.type === 'load-error') {
          loading = false
          settle()
          child.kill('SIGKILL')
          rejectPromise(toError(message.kind, message.code, withReason(message.message, loadLines), message.hint))
        }
      })
      child.on('exit', (code, exitSignal) => {
        settle()
        rejectPromise(new EngineError(`the vision worker stopped while loading the model (${exitSignal ?? `exit code ${code}`})`, {
          hint: 'Run again with --verbose to see llama.cpp\'s messages.',
        }, 'E_VISION_CRASHED'))
      })
    })
    this.send(this.load)
    if (signal?.aborted) child.kill('SIGKILL')
    return ready
  }

  async request(body: Omit<Extract<ParentMessage, {type: 'generate'}>, 'id' | 'type'>, signal?: AbortSignal): Promise<Extract<WorkerMessage, {type: 'result'}>> {
    if (this.disposed) throw new EngineError('the vision engine was disposed', {}, 'E_ENGINE')
    if (!this.child) {
      if (this.restarts >= MAX_RESTARTS) throw new EngineError('the vision worker crashed repeatedly', {hint: 'Run again with --verbose to see llama.cpp\'s messages.'}, 'E_VISION_CRASHED')
      this.restarts++
      this.logger('warn', 'restarting the vision worker after a crash')
      await this.start(signal)
    }

    const id = this.nextId++
    return new Promise((resolvePromise, rejectPromise) => {
      const onAbort = (): void => this.send({type: 'abort', id})
      signal?.addEventListener('abort', onAbort, {once: true})
      this.pending.set(id, {
        resolve: (message) => {
          signal?.removeEventListener('abort', onAbort)
          resolvePromise(message)
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort)
          rejectPromise(error)
        },
      })
      this.send({type: 'generate', id, ...body})
    })
  }

  async dispose(): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    const child = this.child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()))
    this.send({type: 'dispose'})
    const timer = setTimeout(() => child.kill('SIGKILL'), DISPOSE_TIMEOUT_MS)
    await exited
    clearTimeout(timer)
  }

  private send(message: ParentMessage): void {
    if (this.child?.connected) this.child.send(message)
  }

  private onMessage(message: WorkerMessage): void {
    if (message.type === 'log') {
      this.logger(message.level, `[llama.cpp] ${message.message}`)
    } else if (message.type === 'result' || message.type === 'error') {
      const pending = this.pending.get(message.id)
      if (!pending) return
      this.pending.delete(message.id)
      if (message.type === 'result') pending.resolve(message)
      else pending.reject(toError(message.kind, message.code, message.message, message.hint))
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child === child) this.child = undefined
    if (this.disposed && this.pending.size === 0) return
    const error = new EngineError(`the vision worker stopped unexpectedly (${signal ?? `exit code ${code}`})`, {
      hint: 'Run again with --verbose to see llama.cpp\'s messages; the next record starts a new worker.',
    }, 'E_VISION_CRASHED')
    for (const pending of this.pending.values()) pending.reject(error)
    this.pending.clear()
  }
}

// Adds llama.cpp's own explanation of a load failure (e.g. an embedding size mismatch) when the message lacks it.
function withReason(message: string, lines: readonly string[]): string {
  const reasons = lines.filter((line) => /error|mismatch|unable|failed|invalid/i.test(line)).map((line) => line.replace(/^[\w:]*:\s*(error:\s*)?/, '').trim())
  const fresh = reasons.filter((reason) => reason !== '' && !message.includes(reason))
  return fresh.length === 0 ? message : `${message}: ${fresh.slice(-2).join('; ').slice(0, 400)}`
}

function toError(kind: FailureKind, code: string, message: string, hint?: string): AppError {
  switch (kind) {
    case 'input': {
      return new InputError(message, {hint}, code)
    }

    case 'interrupted': {
      return new InterruptedError()
    }

    case 'model': {
      return new ModelNotFoundError(message, {hint}, code)
    }

    default: {
      return new EngineError(message, {hint}, code)
    }
  }
}

/**
 * The worker's thread count, chosen once from the CPU that is free now (@fugood/llama.node's prebuilt binaries have
 * no OpenMP either, so their barrier spins like node-llama-cpp's).
 */
async function freeCpuThreads(logger?: EngineLogger): Promise<number> {
  const limits = await readCpuLimits()
  const choice = chooseThreads({...limits, freeCores: await measureFreeCores(limits.physicalCores), openmp: false})
  logger?.('debug', `threads: ${describeThreadChoice(choice)}`)
  return choice.threads
}
