// Messages between the vision engine (parent) and its worker process, over Node's IPC channel (JSON).

import type {EngineLogLevel, GpuChoice, StopReason} from '../types.js'

/** Parent → worker: load the model and its projector. Sent once, first. */
export interface LoadMessage {
  type: 'load'
  modelPath: string
  mmprojPath: string
  threads: number
  /** Context per sequence in tokens; undefined: the model's training context, at most 4096. */
  contextSize?: number
  sequences: number
  gpu: GpuChoice
  /** Forward llama.cpp's log lines (they may quote prompts). */
  verbose: boolean
}

/** Parent → worker: one generation. Images are data URLs (`data:image/png;base64,…`), never file paths. */
export interface GenerateMessage {
  type: 'generate'
  id: number
  system: string
  user: string
  images: string[]
  maxTokens: number
  temperature: number
  seed?: number
  /** GBNF grammar constraining the output. */
  grammar?: string
}

/** Parent → worker: stop a generation (its result becomes an `interrupted` error). */
export interface AbortMessage {
  type: 'abort'
  id: number
}

/** Parent → worker: free everything and exit. */
export interface DisposeMessage {
  type: 'dispose'
}

/** Every message the parent sends. */
export type ParentMessage = AbortMessage | DisposeMessage | GenerateMessage | LoadMessage

/** Worker → parent: the model is loaded. */
export interface ReadyMessage {
  type: 'ready'
  contextSize: number
  sequences: number
  threads: number
  /** Devices in use, e.g. `['CPU']`. */
  devices: string[]
  chatTemplate: string
  trainContextSize?: number
  backend: string
}

/** How a failure maps onto lib/errors: input → InputError, interrupted → InterruptedError, the rest → EngineError/ModelNotFoundError. */
export type FailureKind = 'engine' | 'input' | 'interrupted' | 'model'

/** Worker → parent: loading failed; the worker exits after sending it. */
export interface LoadErrorMessage {
  type: 'load-error'
  kind: FailureKind
  code: string
  message: string
  hint?: string
}

/** Worker → parent: a generation finished. */
export interface ResultMessage {
  type: 'result'
  id: number
  text: string
  promptTokens: number
  outputTokens: number
  stopReason: StopReason
  durationMs: number
}

/** Worker → parent: a generation failed. */
export interface ErrorMessage {
  type: 'error'
  id: number
  kind: FailureKind
  code: string
  message: string
  hint?: string
}

/** Worker → parent: a llama.cpp log line (only when `verbose`). */
export interface LogMessage {
  type: 'log'
  level: EngineLogLevel
  message: string
}

/** Every message the worker sends. */
export type WorkerMessage = ErrorMessage | LoadErrorMessage | LogMessage | ReadyMessage | ResultMessage
