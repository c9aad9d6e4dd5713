import type {ChatRequest, Engine} from '../../../src/lib/engine/index.js'
import {EngineError, InterruptedError} from '../../../src/lib/errors/index.js'

/** Fails any request whose user message contains this. */
export const CONTENDED_FAIL_MARKER = '__fail__'

/** What {@link contendedEngine} saw. */
export interface ContendedEngineLog {
  /** Generations running at once when each request started, in start order. */
  activeAtStart: number[]
  maxActive: number
  /** Generations stopped by their request's signal. */
  aborted: number
}

/**
 * A fake engine whose speed depends on how many generations run at once: a call needs `work(request)` milliseconds
 * of work (default 30), and `rate(active)` is the total work done per millisecond while `active` calls run
 * (processor sharing). `rate = n => n` is perfect batching (4 at once are 4× as fast); `n => (n === 1 ? 1 : 0.6)`
 * is contention (more at once is slower). Tokens follow work: a 30 ms call has 100 prompt and 20 output tokens.
 */
export function contendedEngine(rate: (active: number) => number, work: (request: ChatRequest) => number = () => 30, sequences = 4): Engine & ContendedEngineLog {
  const jobs = new Set<{left: number; done: () => void}>()
  let timer: NodeJS.Timeout | undefined
  let last = 0
  const advance = (): void => {
    const now = performance.now()
    const each = jobs.size === 0 ? 0 : (rate(jobs.size) * (now - last)) / jobs.size
    last = now
    for (const job of jobs) {
      job.left -= each
      if (job.left <= 0) {
        jobs.delete(job)
        job.done()
      }
    }

    if (jobs.size === 0 && timer) {
      clearInterval(timer)
      timer = undefined
    }
  }

  const engine: Engine & ContendedEngineLog = {
    activeAtStart: [],
    maxActive: 0,
    aborted: 0,
    info: {kind: 'echo', contextSize: 4096, sequences, threads: 1, gpu: false, chatWrapper: 'none'},
    countTokens: (text) => text.split(/\s+/).filter(Boolean).length,
    countPromptTokens: () => 100,
    async chat(request: ChatRequest) {
      if (request.signal?.aborted) throw new InterruptedError()
      if (request.user.includes(CONTENDED_FAIL_MARKER)) throw new EngineError('asked to fail', {hint: 'none'}, 'E_GENERATE')
      advance()
      const started = performance.now()
      const workMs = work(request)
      await new Promise<void>((resolve, reject) => {
        const job = {left: workMs, done: resolve}
        jobs.add(job)
        request.signal?.addEventListener('abort', () => {
          advance()
          if (!jobs.delete(job)) return
          engine.aborted++
          reject(new InterruptedError())
        })
        engine.activeAtStart.push(jobs.size)
        engine.maxActive = Math.max(engine.maxActive, jobs.size)
        if (!timer) {
          last = performance.now()
          timer = setInterval(advance, 2)
        }
      })
      const promptTokens = Math.round((workMs * 100) / 30)
      const outputTokens = Math.round((workMs * 20) / 30)
      return {text: request.user.toUpperCase(), stopReason: 'endOfText', promptTokens, evaluatedPromptTokens: promptTokens, outputTokens, durationMs: performance.now() - started}
    },
    async dispose() {},
  }
  return engine
}
