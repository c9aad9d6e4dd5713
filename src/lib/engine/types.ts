import type {GbnfJsonSchema} from 'node-llama-cpp'

import type {ModelArchitecture} from '../catalog/index.js'
import type {LlamaBinary} from './llama/binary.js'

/** A JSON schema in the subset llama.cpp grammars support (node-llama-cpp's `GbnfJsonSchema`). */
export type JsonSchema = GbnfJsonSchema

/** Severity of an engine log line. */
export type EngineLogLevel = 'debug' | 'error' | 'info' | 'warn'

/** Receives engine and llama.cpp log lines; the CLI routes them to stderr, never stdout. */
export type EngineLogger = (level: EngineLogLevel, message: string) => void

/** Which GPU backend to use; `off` runs on the CPU only. */
export type GpuChoice = 'auto' | 'cuda' | 'metal' | 'off' | 'vulkan'

/** A LoRA adapter to apply: a GGUF adapter file and its scale. */
export interface LoraAdapter {
  path: string
  /** Multiplies the adapter's update (llama.cpp: scale × alpha / rank); default 1. */
  scale?: number
}

/** Options of {@link createEngine}. */
export interface EngineOptions {
  /** `llama` runs a GGUF in llama.cpp; `echo` is a deterministic stand-in without a model. Default `llama`. */
  kind?: 'echo' | 'llama'
  /** Path to the GGUF model file (required for `llama`). */
  modelPath?: string
  /** GPU backend; default `auto` (falls back to the CPU when no GPU backend works). */
  gpu?: GpuChoice
  /**
   * CPU threads, fixed for the run. Default: the CPU that is free now (cgroup quota, affinity, the load of other
   * processes), followed during the run: more threads than free cores makes ggml's spinning barrier collapse.
   */
  threads?: number
  /** Context size per sequence in tokens; default: the model's training context, at most 4096. */
  contextSize?: number
  /** Sequences (parallel generations) in the one context; default 1. */
  sequences?: number
  /**
   * LoRA adapters (GGUF, llama.cpp's format) applied to the context, each with its scale (default 1; 0 leaves the
   * model as it is). An adapter made for another architecture or shape fails with an EngineError E_LORA (exit 7).
   * Default none.
   */
  lora?: readonly LoraAdapter[]
  /**
   * Called after the model is loaded and before the context is allocated, with what the context will need;
   * throws (e.g. a ResourceError) to refuse a `--parallel` that will not fit. Default: only llama.cpp's own check.
   */
  checkFit?: (request: ContextFitRequest) => void
  /** Where log lines go; default: nowhere. */
  logger?: EngineLogger
  /** Pass llama.cpp's info-level logs to the logger too; default false (errors only). */
  verbose?: boolean
  /** Aborts model loading. */
  signal?: AbortSignal
  /**
   * A generation that yields no token for this long fails (E_STALLED) and the run goes on; the first token may take
   * longer by the prompt's evaluation. Default {@link DEFAULT_TOKEN_TIMEOUT_MS}.
   */
  tokenTimeoutMs?: number
}

/** A worked example shown to the model before the user message: a user turn and the model's reply to it. */
export interface ChatExample {
  user: string
  /** The reply, as the model should write it (for structured tasks, the JSON text). */
  reply: string
}

/** An earlier exchange of a conversation, replayed before the new user message. */
export interface ChatTurn {
  user: string
  assistant: string
}

/**
 * One chat turn to generate: a system prompt, optional few-shot examples, and a user message (after the earlier
 * turns of `history`, if any).
 */
export interface ChatRequest {
  system: string
  /**
   * Few-shot turns between the system prompt and the user message. They belong to the prompt prefix every record
   * shares, so an engine that reuses that prefix evaluates their tokens once per sequence, not once per record.
   * Default none.
   */
  examples?: readonly ChatExample[]
  user: string
  /** Earlier turns of the conversation, oldest first; default none (every task record stands alone). */
  history?: readonly ChatTurn[]
  /** Receives the generated text as it comes (streaming); default: none. */
  onText?: (text: string) => void
  /** Upper bound of generated tokens. */
  maxTokens: number
  /** Sampling temperature; 0 (the default) is greedy and deterministic. */
  temperature?: number
  /** Sampling seed, used when temperature > 0. */
  seed?: number
  /** Constrains the output to JSON matching this schema; the result is then parsed into `json`. */
  schema?: JsonSchema
  /**
   * A GBNF grammar that constrains the output instead of the one derived from `schema` (e.g. `jsonSchemaToGbnf` of a
   * schema bounded first). The output is then parsed as JSON and checked against `schema` with `validateJsonValue`.
   * Default: derived from `schema`: compact JSON by `jsonSchemaToGbnf` when `checkJsonSchema` finds nothing it cannot
   * enforce, else node-llama-cpp's grammar for the schema.
   */
  grammar?: string
  /**
   * With a schema: resolve instead of rejecting with E_OUTPUT_INVALID when the output does not validate (cut off
   * at maxTokens, or a string over maxLength because of multi-byte characters). `json` is then unset and `text`
   * holds what was generated (grammar-valid JSON or a prefix of it), for the caller to repair or reject. Default false.
   */
  acceptInvalidJson?: boolean
  /** Stops generation; the call then rejects with an InterruptedError. */
  signal?: AbortSignal
}

/** Why generation stopped. */
export type StopReason = 'abort' | 'endOfText' | 'maxTokens' | 'stopTrigger'

/** The result of {@link Engine.chat}. */
export interface Generation {
  text: string
  /** The parsed JSON value, when the request had a schema. */
  json?: unknown
  stopReason: StopReason
  /** Tokens of the rendered prompt (template included). */
  promptTokens: number
  /**
   * Prompt tokens llama.cpp actually evaluated: fewer than `promptTokens` when the sequence still held the
   * same prefix (instructions, examples) from its previous request. Absent for engines that cannot tell.
   */
  evaluatedPromptTokens?: number
  /** Tokens generated. */
  outputTokens: number
  durationMs: number
}

/** Facts about a loaded engine, for logs and `--verbose`. */
export interface EngineInfo {
  kind: 'echo' | 'llama'
  modelPath?: string
  /** Context size per sequence, as allocated. */
  contextSize: number
  sequences: number
  threads: number
  /** The GPU backend in use, or `false` for CPU only. */
  gpu: string | false
  /** Flash attention as asked of llama.cpp (llama engines; `JSL_MED_FLASH_ATTENTION` overrides the default). */
  flashAttention?: boolean | 'auto'
  /** The chat template wrapper node-llama-cpp chose (e.g. `ChatML`). */
  chatWrapper: string
  trainContextSize?: number
  /** The llama.cpp binary that runs the model (llama engines only; `JSL_MED_LLAMA_BINARY` picks it). */
  binary?: LlamaBinary
  /** LoRA adapters applied, as given (llama engines only). */
  lora?: readonly LoraAdapter[]
}

/**
 * A loaded model, ready to generate. Concurrent `chat` calls run on separate sequences of one context
 * (batched together by llama.cpp); calls beyond the sequence count wait for a free one.
 */
export interface Engine {
  readonly info: EngineInfo
  /** Counts the tokens of plain text (no template). */
  countTokens(text: string): number
  /** Counts the tokens of the prompt a request renders to, template (examples and history) included. */
  countPromptTokens(request: Pick<ChatRequest, 'examples' | 'history' | 'system' | 'user'>): number
  /** Generates one reply. Rejects with an AppError (InputError when the prompt does not fit). */
  chat(request: ChatRequest): Promise<Generation>
  /** Frees the model and context; idempotent. */
  dispose(): Promise<void>
}

/** What a context is about to need, for {@link EngineOptions.checkFit}. */
export interface ContextFitRequest {
  /** The model's transformer shape, from its GGUF header. */
  shape: ModelArchitecture
  contextSize: number
  sequences: number
  /** Layers on the GPU (0 on the CPU). */
  gpuLayers: number
  freeRamBytes: number
  freeVramBytes: number
}
