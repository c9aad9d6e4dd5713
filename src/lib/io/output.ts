import {once} from 'node:events'
import {createReadStream, createWriteStream} from 'node:fs'
import {stat, truncate} from 'node:fs/promises'
import type {Readable, Writable} from 'node:stream'

import {InputError, UsageError} from '../errors/index.js'

/** Options of {@link openOutput}. */
export interface OpenOutputOptions {
  /** Append to the file after its first `keepBytes` bytes instead of replacing it (`--resume` into the same file). */
  appendAfter?: number
}

/** Opens `--output`: stdout for `-`, else the file (replaced, or appended to). Throws E_OUTPUT_FILE (exit 2). */
export async function openOutput(path: string, options: OpenOutputOptions = {}): Promise<Writable> {
  if (path === '-') return process.stdout
  try {
    // Appending after whole lines only: a line torn by a killed run is dropped first.
    if (options.appendAfter !== undefined) await truncate(path, options.appendAfter).catch(() => {})
    const stream = createWriteStream(path, {flags: options.appendAfter === undefined ? 'w' : 'a'})
    await once(stream, 'open')
    return stream
  } catch (error) {
    throw new UsageError(`Cannot write output file ${path}: ${(error as NodeJS.ErrnoException).code}`, {cause: error, hint: 'Check the path given to --output.'}, 'E_OUTPUT_FILE')
  }
}

/** Flushes and closes what {@link openOutput} opened; stdout stays open. */
export async function closeOutput(output: Writable | undefined): Promise<void> {
  if (!output || output === process.stdout) return
  output.end()
  await once(output, 'finish')
}

/**
 * Opens `--input` or a file argument: stdin for `-` (`onTerminal` is called first when stdin is a terminal, so the
 * caller can say how to end it), else the file. A directory is a usage error (E_INPUT_IS_DIR, exit 2); a file
 * that cannot be read throws E_INPUT_FILE (exit 8).
 */
export async function openInput(path: string, onTerminal?: () => void): Promise<Readable> {
  if (path === '-') {
    if (process.stdin.isTTY) onTerminal?.()
    return process.stdin
  }

  await checkInputPath(path)
  const stream = createReadStream(path)
  try {
    await once(stream, 'open')
  } catch (error) {
    throw inputFileError(path, error)
  }

  return stream
}

/**
 * Checks, without opening it, that an input path names a readable file (see {@link openInput} for the errors), so
 * that a bad path among many fails before any model loads. Returns its size in bytes.
 */
export async function checkInputPath(path: string): Promise<number> {
  const stats = await stat(path).catch((error: unknown) => {
    throw inputFileError(path, error)
  })
  if (stats.isDirectory()) {
    throw new UsageError(`${path} is a directory; the input is a file, or - for stdin`, {hint: `Pass its files as arguments (e.g. ${path.replace(/\/+$/, '')}/*.txt), or pipe them in (cat ${path.replace(/\/+$/, '')}/*.ndjson | …).`}, 'E_INPUT_IS_DIR')
  }

  return stats.size
}

function inputFileError(path: string, error: unknown): InputError {
  return new InputError(`Cannot read input file ${path}: ${(error as NodeJS.ErrnoException).code}`, {cause: error, hint: 'Check the path given to --input or as a file argument.'}, 'E_INPUT_FILE')
}
