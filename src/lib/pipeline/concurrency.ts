import {InterruptedError} from '../errors/index.js'

/**
 * Records with model calls run first and not measured: the first evaluates the prompt prefix every record shares,
 * which later records, one at a time or many, reuse or copy.
 */
export const WARMUP_RECORDS = 1

/** Records with model calls that the one-at-a-time probe of `parallel: 'auto'` measures (after the warm-up), at most. */
export const PROBE_RECORDS = 3

/** Busy time after which the one-at-a-time probe ends even with fewer records. */
export const PROBE_MS = 5000

/**
 * The busy time the parallel probe may take, in multiples of what one at a time needs for its records. At 1× a
 * parallel speed only a little below one record's (0.9× for `ner -j 4` on a 2-core machine) finished no probe
 * record in time, so every one of them was stopped and redone: `-j auto` cost 11% against `-j 1` over 64 records.
 * At 2× such a probe ends with its records done; only a collapse below half the single speed is cut short.
 */
export const PARALLEL_PROBE_BUDGET = 2

/** How much faster (tokens/s) the parallel probe must be for its sequence count to be kept: 10%. */
export const KEEP_PARALLEL_GAIN = 1.1

/** What `parallel: 'auto'` measured, and the records at once it kept for the rest of the run. */
export interface ParallelDecision {
  /** The records at once compared with 1: the engine's sequences. */
  sequences: number
  /** Model tokens (evaluated prompt tokens plus output tokens) per second of busy time, one record at a time. */
  singleTokensPerSecond: number
  /** The same, `sequences` records at a time (0 when no record finished within the probe's time). */
  parallelTokensPerSecond: number
  /** Records measured in each probe. */
  singleRecords: number
  parallelRecords: number
  /** 1 or `sequences`. */
  chosen: number
  /** Records of the parallel probe that were stopped, to run again one at a time (it was far slower). */
  redone: number
}

/** Permission for one record to run. */
export interface Lease {
  /** The records-at-once limit when the record was let in. */
  readonly limit: number
  /** Aborts when the limiter stops the record so that it runs again (see {@link Lease.redo}). */
  readonly signal?: AbortSignal
  /** True once the limiter has stopped the record: if it failed, acquire a new lease and run it again. */
  readonly redo: boolean
  /** The record is done; `tokens`: the model tokens it evaluated and generated. */
  release(tokens: number): void
}

/** Lets records run, at most `limit` at once, earliest record first. */
export interface ConcurrencyLimiter {
  /** The current limit. */
  readonly limit: number
  /**
   * The lease at once when record number `order` may run now (so that a fixed limit adds no await before the
   * record's model calls), else a promise of it that rejects with an InterruptedError when `signal` aborts first.
   */
  acquire(signal: AbortSignal, order: number): Lease | Promise<Lease>
  /** The run is over: decides a probe still under way (and reports one that never started). */
  finish(): void
  /** The run stopped early, or is over: no decision or report from now on. */
  close(): void
}

/** A fixed limit that never holds a record back: the pipeline's window bounds what is in flight. */
export function fixedLimiter(limit: number): ConcurrencyLimiter {
  const lease: Lease = {limit, redo: false, release() {}}
  return {limit, acquire: () => lease, finish() {}, close() {}}
}

/** Options of {@link adaptiveLimiter}. */
export interface AdaptiveLimiterOptions {
  /** The most records at once (the engine's sequences), at least 2. */
  sequences: number
  /** Called once: with the decision, or `undefined` when the run ended before the parallel probe began. */
  onDecision?: (decision: ParallelDecision | undefined) => void
  /** Clock in milliseconds; default `performance.now`. */
  now?: () => number
}

interface Held {
  order: number
  limit: number
  probe: boolean
  /** Share time when let in (see `share` below). */
  since: number
  stop: AbortController
  redo: boolean
}

/**
 * A limit that measures. One record at a time: {@link WARMUP_RECORDS}, then until {@link PROBE_RECORDS} records
 * have made model calls (or {@link PROBE_MS} of busy time). Then `sequences` at a time, and the next
 * max(`sequences`, that many) records are the parallel probe. Each record is charged its share of the machine (time
 * divided by the records running with it), so speed is model tokens per second of share, whatever the records'
 * sizes and however many ran. The probe ends when its records are done, or after {@link PARALLEL_PROBE_BUDGET} times
 * the busy time one at a time would have needed for them: `sequences` stay when their speed beats one record's by {@link KEEP_PARALLEL_GAIN}, else
 * one at a time for the rest of the run. A record then still running at `sequences` is stopped and redone alone
 * when more of it is left (estimated from its share time) than the parallel speed's fraction of the single speed,
 * so that a parallel collapse costs about the probe's time and no more.
 */
export function adaptiveLimiter(options: AdaptiveLimiterOptions): ConcurrencyLimiter {
  const {sequences} = options
  const now = options.now ?? (() => performance.now())
  const waiting: Array<{order: number; grant: () => void}> = []
  const running = new Set<Held>()
  const single = {warmup: 0, records: 0, tokens: 0, shareMs: 0}
  const parallel = {admitted: 0, records: 0, tokens: 0, shareMs: 0, busyMs: 0, size: 0}
  let phase: 'decided' | 'parallel' | 'single' = 'single'
  let limit = 1
  let share = 0
  let lastChange = now()
  let busySince = 0
  let deadline: NodeJS.Timeout | undefined
  let reported = false

  /** Advances share time: every running record gets an equal part of each millisecond. */
  const tick = (): void => {
    const at = now()
    if (running.size > 0) share += (at - lastChange) / running.size
    lastChange = at
  }

  const report = (decision: ParallelDecision | undefined): void => {
    if (reported) return
    reported = true
    options.onDecision?.(decision)
  }

  const decide = (): void => {
    if (phase !== 'parallel') return
    clearTimeout(deadline)
    const singleRate = (single.tokens * 1000) / Math.max(single.shareMs, 1)
    const parallelRate = parallel.records === 0 ? 0 : (parallel.tokens * 1000) / Math.max(parallel.shareMs, 1)
    limit = parallelRate >= singleRate * KEEP_PARALLEL_GAIN ? sequences : 1
    phase = 'decided'
    let redone = 0
    if (limit === 1) {
      // Going on, what is left of a record runs at the parallel speed; redone, all of it runs at the single speed.
      tick()
      const tokensPerRecord = (single.tokens + parallel.tokens) / (single.records + parallel.records)
      for (const held of running) {
        const doneTokens = ((share - held.since) * parallelRate) / 1000
        if (1 - doneTokens / tokensPerRecord <= parallelRate / singleRate) continue
        held.redo = true
        held.stop.abort()
        redone++
      }
    }

    report({sequences, singleTokensPerSecond: singleRate, parallelTokensPerSecond: parallelRate, singleRecords: single.records, parallelRecords: parallel.records, chosen: limit, redone})
  }

  /** Ends the parallel probe once it has had the busy time one at a time would have needed for its records. */
  const armDeadline = (): void => {
    const budgetMs = PARALLEL_PROBE_BUDGET * parallel.size * (single.shareMs / Math.max(single.records, 1))
    const busyMs = parallel.busyMs + (running.size > 0 ? now() - busySince : 0)
    if (busyMs >= budgetMs) return decide()
    deadline = setTimeout(armDeadline, budgetMs - busyMs)
    deadline.unref()
  }

  const pump = (): void => {
    while (waiting.length > 0 && running.size < limit) waiting.shift()!.grant()
  }

  const admit = (order: number): Lease => {
    tick()
    if (running.size === 0) busySince = now()
    const probe = phase === 'parallel' && parallel.admitted++ < parallel.size
    const held: Held = {order, limit, probe, since: share, stop: new AbortController(), redo: false}
    running.add(held)
    let released = false
    return {
      limit,
      signal: held.stop.signal,
      get redo() {
        return held.redo
      },
      release(tokens) {
        if (released) return
        released = true
        tick()
        running.delete(held)
        if (running.size === 0 && phase === 'parallel') parallel.busyMs += now() - busySince
        const shareMs = share - held.since
        if (phase === 'single' && tokens > 0 && single.warmup < WARMUP_RECORDS) {
          single.warmup++
        } else if (phase === 'single') {
          single.records += tokens > 0 ? 1 : 0
          single.tokens += tokens
          single.shareMs += shareMs
        }

        if (phase === 'parallel' && held.probe && !held.redo) {
          parallel.records++
          parallel.tokens += tokens
          parallel.shareMs += shareMs
          if (parallel.records >= parallel.size) decide()
        }

        if (phase === 'single' && single.tokens > 0 && (single.records >= PROBE_RECORDS || single.shareMs >= PROBE_MS)) {
          phase = 'parallel'
          limit = sequences
          parallel.size = Math.max(sequences, single.records)
          armDeadline()
        }

        pump()
      },
    }
  }

  return {
    get limit() {
      return limit
    },
    acquire(signal, order) {
      if (signal.aborted) return Promise.reject(new InterruptedError())
      if (waiting.length === 0 && running.size < limit) return admit(order)
      return new Promise<Lease>((resolve, reject) => {
        const entry = {
          order,
          grant() {
            signal.removeEventListener('abort', onAbort)
            resolve(admit(order))
          },
        }
        const onAbort = (): void => {
          const at = waiting.indexOf(entry)
          if (at >= 0) waiting.splice(at, 1)
          reject(new InterruptedError())
        }

        signal.addEventListener('abort', onAbort, {once: true})
        // Earliest record first: a record being redone goes before the records read after it.
        const at = waiting.findIndex((other) => other.order > order)
        waiting.splice(at < 0 ? waiting.length : at, 0, entry)
        pump()
      })
    },
    finish() {
      if (phase === 'parallel') decide()
      else report(undefined)
    },
    close() {
      clearTimeout(deadline)
      reported = true
      phase = 'decided'
    },
  }
}
