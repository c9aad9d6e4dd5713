import {once} from 'node:events'
import {createReadStream, createWriteStream} from 'node:fs'
import {truncate} from 'node:fs/promises'
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
 * Opens `--input`: stdin for `-` (`onTerminal` is called first when stdin is a terminal, so the caller can say how to
 * end it), else the file. Throws E_INPUT_FILE (exit 8) when the file cannot be read.
 */
export async function openInput(path: string, onTerminal?: () => void): Promise<Readable> {
  if (path === '-') {
    if (process.stdin.isTTY) onTerminal?.()
    return process.stdin
  }

  const stream = createReadStream(path)
  try {
    await once(stream, 'open')
  } catch (error) {
    throw new InputError(`Cannot read input file ${path}: ${(error as NodeJS.ErrnoException).code}`, {cause: error, hint: 'Check the path given to --input.'}, 'E_INPUT_FILE')
  }

  return stream
}
