import {execFile} from 'node:child_process'

import {EngineError, InterruptedError, UsageError} from '../errors/index.js'

/**
 * llama-bench's name of a test (tools/llama-bench/llama-bench.cpp): `pp512`, `tg128`, and at a context depth
 * (`-d`) the same with ` @ d<depth>` appended (`pp512 @ d4096`); depth 0 adds nothing.
 */
export function llamaBenchTestName(test: 'pp' | 'tg', tokens: number, depth = 0): string {
  return `${test}${tokens}${depth > 0 ? ` @ d${depth}` : ''}`
}

/** Parses `--depth D1,D2` (llama-bench `-d`): distinct whole numbers ≥ 0, in the order given. */
export function parseDepths(spec: string): number[] {
  const parts = spec.split(',').map((part) => part.trim()).filter(Boolean)
  if (parts.length === 0) throw new UsageError('--depth is empty', {hint: 'Pass context depths in tokens, e.g. --depth 0,4096.'}, 'E_DEPTH')
  for (const part of parts) {
    if (!/^\d+$/.test(part) || !Number.isSafeInteger(Number(part))) {
      throw new UsageError(`--depth '${part}' is not a whole number of tokens`, {hint: 'Pass context depths in tokens, e.g. --depth 0,4096.'}, 'E_DEPTH')
    }
  }

  return [...new Set(parts.map(Number))]
}

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
  /** `-d`: context depth of the tests; default 0 (then `-d` is not passed, for llama-bench builds older than it). */
  depth?: number
  /** `-r`; default 1 (one repetition per interleaved round). */
  repetitions?: number
  /** Kills llama-bench; the call then rejects with an InterruptedError. */
  signal?: AbortSignal
  /** Kills llama-bench after this long; default 30 minutes. */
  timeoutMs?: number
}

/** Runs `llama-bench -m MODEL -p P -n N [-d D] -t T -r R -o json` on the CPU and returns its figures. */
export async function runLlamaBench(options: RunLlamaBenchOptions): Promise<LlamaBenchFigures> {
  const args = ['-m', options.modelPath, '-p', String(options.promptTokens ?? 512), '-n', String(options.generateTokens ?? 128)]
  if (options.depth) args.push('-d', String(options.depth))
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
