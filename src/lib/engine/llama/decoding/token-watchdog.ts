import {EngineError} from '../../../errors/index.js'
import {FIRST_TOKEN_MS_PER_PROMPT_TOKEN, STALL_ABORT_GRACE_MS} from '../../defaults.js'

/**
 * Watches one generation for tokens: when none comes within the timeout (the first one may take longer by the
 * prompt's evaluation), it aborts the generation and marks it stalled; when llama.cpp does not return even then,
 * {@link race} gives up on it after a grace period, so that a stuck decode fails one record instead of hanging the run.
 * Also times the generation (first to last token) for the thread governor.
 */
export class TokenWatchdog {
  /** Tokens generated so far. */
  tokens = 0
  /** Whether the timeout fired. */
  stalled = false
  private readonly controller = new AbortController()
  private timer?: NodeJS.Timeout
  private readonly startedAt = performance.now()
  private firstTokenAt?: number
  private lastTokenAt?: number
  private giveUp?: () => void

  /** `signal` is the caller's (Ctrl-C): it aborts the generation too, without counting as a stall. */
  constructor(private readonly timeoutMs: number, promptTokens: number, signal?: AbortSignal) {
    this.signal = signal ? AbortSignal.any([signal, this.controller.signal]) : this.controller.signal
    this.arm(timeoutMs + promptTokens * FIRST_TOKEN_MS_PER_PROMPT_TOKEN)
  }

  /** The signal to generate under: aborted by the caller's signal or by a stall. */
  readonly signal: AbortSignal

  /** Milliseconds from this watchdog's start to the first token (the prompt's evaluation), 0 before it. */
  get promptMs(): number {
    return this.firstTokenAt === undefined ? 0 : this.firstTokenAt - this.startedAt
  }

  /** Milliseconds from the first token to the last (the generation proper, without the prompt's evaluation). */
  get generateMs(): number {
    return this.firstTokenAt === undefined || this.lastTokenAt === undefined ? 0 : this.lastTokenAt - this.firstTokenAt
  }

  /** Called for every batch of tokens generated. */
  onTokens(count: number): void {
    const now = performance.now()
    this.firstTokenAt ??= now
    this.lastTokenAt = now
    this.tokens += count
    this.arm(this.timeoutMs)
  }

  /** The generation's result, or a stall error when it does not return within the grace period after a stall. */
  race<T>(generation: Promise<T>): Promise<T> {
    const gaveUp = new Promise<never>((_, reject) => {
      this.giveUp = () => reject(this.stallError())
    })
    return Promise.race([generation, gaveUp])
  }

  /** The error of a stalled generation. Names no text: only the time waited. */
  stallError(): EngineError {
    return new EngineError(`no token for ${Math.round(this.timeoutMs / 1000)} s: generation stalled`, {
      hint: 'The machine may be overloaded or llama.cpp stuck; the run went on. Run the record again (--resume skips the rest), or raise --token-timeout.',
    }, 'E_STALLED')
  }

  /** Stops watching (the generation ended). */
  stop(): void {
    clearTimeout(this.timer)
  }

  private arm(ms: number): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => this.fire(), ms)
    this.timer.unref()
  }

  private fire(): void {
    this.stalled = true
    this.controller.abort()
    this.timer = setTimeout(() => this.giveUp?.(), STALL_ABORT_GRACE_MS)
    this.timer.unref()
  }
}
