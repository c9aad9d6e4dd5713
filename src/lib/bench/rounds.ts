import {InterruptedError} from '../errors/index.js'

/** One program compared in interleaved rounds (e.g. llama-bench, then jsl-med). */
export interface RoundProgram<T> {
  name: string
  /** Runs one repetition; `round` counts from 1. */
  run(round: number): Promise<T>
}

/** One round: what `atStart` saw before any program ran, and each program's result, in the order of `programs`. */
export interface InterleavedRound<T, S> {
  round: number
  start: S
  results: Array<{name: string; value: T}>
}

/** Options of {@link runInterleaved}. */
export interface RunInterleavedOptions<T, S> {
  /** How many rounds; each runs every program once. */
  rounds: number
  /** The programs, in the order each round runs them. */
  programs: ReadonlyArray<RoundProgram<T>>
  /** Called at the start of each round, before its first program (e.g. reads the load average). */
  atStart: (round: number) => Promise<S> | S
  /** Called after each program's repetition, e.g. for progress. */
  onResult?: (round: number, name: string, value: T) => void
  /** Checked before each program; an aborted run rejects with an InterruptedError. */
  signal?: AbortSignal
  /**
   * Round r starts with program r (then wraps around), so that no program always runs first, after a pause, or always
   * right after the same other program (warm caches, a load that builds up over a round). Results keep program order.
   */
  rotate?: boolean
}

/**
 * Runs compared programs interleaved: round 1 runs each program once in order, then round 2, and so on (with
 * `rotate`, each round starts one program later), so that every program sees the same machine (a program run after
 * all the repetitions of another sees a different load).
 */
export async function runInterleaved<T, S>(options: RunInterleavedOptions<T, S>): Promise<Array<InterleavedRound<T, S>>> {
  const rounds: Array<InterleavedRound<T, S>> = []
  for (let round = 1; round <= options.rounds; round++) {
    if (options.signal?.aborted) throw new InterruptedError()
    const start = await options.atStart(round)
    const count = options.programs.length
    const first = options.rotate && count > 0 ? (round - 1) % count : 0
    const results: Array<{name: string; value: T}> = []
    for (let step = 0; step < count; step++) {
      if (options.signal?.aborted) throw new InterruptedError()
      const index = (first + step) % count
      const program = options.programs[index]
      const value = await program.run(round)
      results[index] = {name: program.name, value}
      options.onResult?.(round, program.name, value)
    }

    rounds.push({round, start, results})
  }

  return rounds
}
