import type {LlamaBinary} from '../llama/binary.js'
import type {EngineLogger, GpuChoice, LoraAdapter} from '../types.js'

/** Options of {@link openBenchModel}. */
export interface BenchModelOptions {
  /** Path to the GGUF model file. */
  modelPath: string
  /** CPU threads for every evaluation (prompt and generation alike, as llama-bench `-t`). */
  threads: number
  /** GPU backend; default `auto`. */
  gpu?: GpuChoice
  /** Context size of the log-likelihood context, in tokens; default: the model's training context, at most 4096. */
  contextSize?: number
  /** LoRA adapters applied to every context (speed and scoring); default none. A mismatched one is E_LORA. */
  lora?: readonly LoraAdapter[]
  /** Where log lines go; default: nowhere. */
  logger?: EngineLogger
  /** Pass llama.cpp's info-level logs to the logger too; default false. */
  verbose?: boolean
  /** Aborts model loading. */
  signal?: AbortSignal
}

/** What the loaded model and the llama.cpp build are, for the records' fingerprint. */
export interface BenchModelInfo {
  modelPath: string
  /** The GGUF `general.file_type` as a name (`Q4_0`, `Q8_0`, `F16`, `Q4_K_M`, …), or `unknown`. */
  fileType: string
  /** Weights in the model, when the GGUF tells. */
  parameterCount?: number
  /** `general.architecture`. */
  architecture: string
  trainContextSize: number
  vocabSize: number
  /** Whether llama.cpp prepends a BOS token (the model's `add_bos_token`). */
  addBos: boolean
  /** Threads used. */
  threads: number
  /** The GPU backend in use, or `false` for the CPU. */
  gpu: string | false
  /** GPU device names the backend sees (empty on the CPU). */
  gpuDevices: string[]
  /** The llama.cpp release node-llama-cpp was built from (e.g. `v0.5.0`) and whether the binary is prebuilt or local. */
  llamaCpp: {release: string; repo: string; buildType: string}
  /** node-llama-cpp's version. */
  nodeLlamaCppVersion: string
  /** llama.cpp's `llama_print_system_info()` (CPU features the build uses). */
  systemInfo: string
  /** Wall time of loading the model, in milliseconds. */
  loadMs: number
  /** The llama.cpp binary (native build or prebuilt, OpenMP or not; `JSL_MED_LLAMA_BINARY` picks it). */
  binary?: LlamaBinary
}

/** Options of {@link BenchModel.measureSpeed}; the defaults are llama-bench's. */
export interface SpeedOptions {
  /** Prompt tokens of the pp test; default 512 (`pp512`). */
  promptTokens?: number
  /** Generated tokens of the tg test; default 128 (`tg128`). */
  generateTokens?: number
  /** Timed repetitions of each test (llama-bench `-r`); default 5. */
  repetitions?: number
  /** Run one untimed pp and one 1-token tg first, as llama-bench does; default true. */
  warmup?: boolean
  /** Seed of the random token ids fed to the model; default 1. */
  seed?: number
  /** Threads of these tests, at most the model's `threads` (its llama.cpp ceiling); default the model's `threads`. */
  threads?: number
  /** Threads of the tg test (and the first token's decode) when they differ from `threads`; default `threads`. */
  generateThreads?: number
  /**
   * llama-bench `-d`: before every pp, tg and first-token test the context already holds this many random tokens,
   * evaluated once per call and untimed (llama-bench restores the same state per repetition); default 0.
   */
  depth?: number
  /** Stops between steps; the call then rejects with an InterruptedError. */
  signal?: AbortSignal
  /** Called before each step, e.g. `pp 2/5`, for progress on stderr. */
  onStep?: (step: string) => void
}

/** Raw timings of {@link BenchModel.measureSpeed}: one sample per repetition. */
export interface SpeedMeasurement {
  promptTokens: number
  generateTokens: number
  /** Prompt processing throughput of each repetition (tokens / wall time of the batched decode). */
  promptTokensPerSecond: number[]
  /** Generation throughput of each repetition (tokens / wall time of one-token decodes, no sampling, EOS impossible). */
  generateTokensPerSecond: number[]
  /** Time from submitting a `promptTokens` prompt to its first (greedy) sampled token, per repetition. */
  timeToFirstTokenMs: number[]
  /** The highest resident set size of this process sampled during the measurement. */
  peakRssBytes: number
  /** Context size the speed tests ran in (depth + prompt + generated tokens, padded by node-llama-cpp). */
  contextSize: number
  /** Logical batch size (llama.cpp n_batch = n_ubatch). */
  batchSize: number
  /** Whether llama.cpp enabled flash attention (`auto` resolves per backend, as llama-bench's default). */
  flashAttention: boolean | 'auto'
}

/** The log-likelihood of one continuation after a context, as lm-evaluation-harness computes it. */
export interface ChoiceScore {
  /** Sum of the natural-log probabilities of the continuation's tokens. */
  logprob: number
  /** Whether every continuation token was the model's greedy choice. */
  greedy: boolean
  /** Tokens of the continuation. */
  tokens: number
}

/** The result of {@link BenchModel.scoreChoices}. */
export interface ChoiceScores {
  scores: ChoiceScore[]
  /** Context tokens scored (after any left truncation). */
  contextTokens: number
  /** The context was cut from the left to fit (lm-evaluation-harness does the same). */
  truncated: boolean
}

/** Options of {@link BenchModel.nextTokenLogits}. */
export interface NextTokenLogitsOptions {
  /**
   * Longest run of tokens evaluated in one context: longer inputs are cut into windows, each evaluated from an empty
   * context (llama-perplexity's chunks); default 512 (its `-c`), at most the scoring context.
   */
  windowTokens?: number
  /** Stops between batches; the call then rejects with an InterruptedError. */
  signal?: AbortSignal
  /**
   * Receives the raw logits over the whole vocabulary (indexed by token id) of the distribution that predicts
   * `tokens[position + 1]`, in position order. The array is the callee's: copy it to keep it.
   */
  onLogits: (position: number, logits: Float32Array) => Promise<void> | void
}

/**
 * A model loaded for benchmarking: llama-bench-style speed tests and lm-evaluation-harness-style
 * log-likelihood scoring over one loaded model.
 */
export interface BenchModel {
  readonly info: BenchModelInfo
  /**
   * Measures prompt processing (pp) and token generation (tg) the way llama-bench does: random token ids,
   * a fresh KV cache per repetition, fixed token counts (EOS cannot stop it), no sampling in tg.
   */
  measureSpeed(options?: SpeedOptions): Promise<SpeedMeasurement>
  /**
   * Scores each continuation after the context: the summed log-probability of its tokens (lm-eval `loglikelihood`).
   * Tokenization follows lm-eval: context and context+continuation are tokenized separately and the
   * continuation is what the longer one adds; trailing spaces of the context move to the continuation.
   */
  scoreChoices(context: string, continuations: readonly string[], signal?: AbortSignal): Promise<ChoiceScores>
  /** Token ids of a text, without BOS (the model's own tokenizer). */
  tokenize(text: string): number[]
  /**
   * The next-token logits after every token of `tokens` that has a successor in its window: windows of at most
   * `windowTokens`, each from an empty context and BOS first when the model adds one (so BOS predicts the window's
   * first token). Returns how many positions were reported.
   */
  nextTokenLogits(tokens: readonly number[], options: NextTokenLogitsOptions): Promise<number>
  /** Frees the model and its contexts; idempotent. */
  dispose(): Promise<void>
}
