import {execFile} from 'node:child_process'

import {EngineError, InterruptedError} from '../errors/index.js'

/** One run of llama.cpp's `llama-bench -o json`: the pp and tg throughput of its tests and the threads it used. */
export interface LlamaBenchFigures {
  /** Prompt processing, tokens/s (the test with `n_prompt > 0, n_gen = 0`), when it ran. */
  pp?: number
  /** Token generation, tokens/s (the test with `n_gen > 0, n_prompt = 0`), when it ran. */
  tg?: number
  /** `n_threads` of the tests. */
  threads?: number
  /** `build_commit` of the llama-bench binary. */
  build?: string
}

/**
 * Reads llama-bench's `-o json` output (an array of test objects with `n_prompt`, `n_gen`, `avg_ts`, `n_threads`).
 * Throws an EngineError when the text is not that array.
 */
export function parseLlamaBenchJson(text: string): LlamaBenchFigures {
  let tests: unknown
  try {
    tests = JSON.parse(text)
  } catch (error) {
    throw new EngineError('llama-bench did not print JSON', {cause: error, hint: 'Check that the path is llama.cpp\'s llama-bench and that it runs on its own.'}, 'E_LLAMA_BENCH')
  }

  if (!Array.isArray(tests)) throw new EngineError('llama-bench printed JSON that is not a list of tests', {hint: 'Use a llama-bench that supports -o json.'}, 'E_LLAMA_BENCH')
  type Test = {n_prompt?: number; n_gen?: number; avg_ts?: number; n_threads?: number; build_commit?: string}
  const rows = tests.filter((row): row is Test => typeof row === 'object' && row !== null)
  const throughput = (row: Test | undefined): number | undefined => (typeof row?.avg_ts === 'number' && Number.isFinite(row.avg_ts) ? row.avg_ts : undefined)
  const pp = rows.find((row) => (row.n_prompt ?? 0) > 0 && (row.n_gen ?? 0) === 0)
  const tg = rows.find((row) => (row.n_gen ?? 0) > 0 && (row.n_prompt ?? 0) === 0)
  const first = rows[0]
  return {
    ...(throughput(pp) === undefined ? {} : {pp: throughput(pp)}),
    ...(throughput(tg) === undefined ? {} : {tg: throughput(tg)}),
    ...(typeof first?.n_threads === 'number' ? {threads: first.n_threads} : {}),
    ...(typeof first?.build_commit === 'string' ? {build: first.build_commit} : {}),
  }
}

/** Options of {@link runLlamaBench}. */
export interface RunLlamaBenchOptions {
  /** The llama-bench executable. */
  path: string
  modelPath: string
  /** `-p`; default 512. */
  promptTokens?: number
  /** `-n`; default 128. */
  generateTokens?: number
  /** `-t`. */
  threads: number
  /** `-r`; default 1 (one repetition per interleaved round). */
  repetitions?: number
  /** Kills llama-bench; the call then rejects with an InterruptedError. */
  signal?: AbortSignal
  /** Kills llama-bench after this long; default 30 minutes. */
  timeoutMs?: number
}

/** Runs `llama-bench -m MODEL -p P -n N -t T -r R -o json` on the CPU and returns its figures. */
export async function runLlamaBench(options: RunLlamaBenchOptions): Promise<LlamaBenchFigures> {
  const args = ['-m', options.modelPath, '-p', String(options.promptTokens ?? 512), '-n', String(options.generateTokens ?? 128)]
  args.push('-t', String(options.threads), '-r', String(options.repetitions ?? 1), '-ngl', '0', '-o', 'json')
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(options.path, args, {maxBuffer: 16 * 2 ** 20, timeout: options.timeoutMs ?? 30 * 60_000, signal: options.signal}, (error, out, err) => {
      if (options.signal?.aborted) reject(new InterruptedError())
      else if (error) {
        const detail = String(err).trim().split('\n').slice(-3).join(' | ').slice(0, 300)
        reject(new EngineError(`llama-bench failed: ${error.message.split('\n')[0]}${detail ? ` (${detail})` : ''}`, {cause: error, hint: 'Run the same llama-bench command by hand to see why; --llama-bench takes the path of the executable.'}, 'E_LLAMA_BENCH'))
      } else resolve(out)
    })
  })
  return parseLlamaBenchJson(stdout)
}
