import {createReadStream} from 'node:fs'
import {stat} from 'node:fs/promises'

import {InputError} from '../errors/index.js'
import {splitLines} from './read-records.js'

/** What a previous (possibly interrupted) output file says is done. */
export interface ResumeState {
  /** Keys (see {@link recordKey}) of every record that has an output line. */
  done: Set<string>
  /** The file ends in the middle of a line (the previous run was killed while writing it). */
  endsWithPartialLine: boolean
  /** Bytes up to and including the last newline: the whole lines of the file. */
  completeBytes: number
}

/**
 * The key under which `--resume` remembers a record: its id, or its line number when it has none
 * (which only matches when the input is the same file).
 */
export function recordKey(record: {id?: number | string; line: number}): string {
  return record.id === undefined ? `line:${record.line}` : `id:${JSON.stringify(record.id)}`
}

/**
 * The key (see {@link recordKey}) of a record as an output line holds it: its `idField`, else its line number;
 * undefined for a value that has neither (not an object, or a foreign line).
 */
export function outputRecordKey(value: unknown, idField = 'id'): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const record = value as Record<string, unknown>
  const id = record[idField]
  if (typeof id === 'string' || typeof id === 'number') return recordKey({id, line: 0})
  if (typeof record.line === 'number') return recordKey({line: record.line})
  return undefined
}

/**
 * Reads a previous output file for `--resume`: every parsable line with an id (or a line number)
 * marks that record done, error records included. A missing file means nothing is done yet.
 */
export async function readResumeState(path: string, idField = 'id'): Promise<ResumeState> {
  const done = new Set<string>()
  try {
    await stat(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {done, endsWithPartialLine: false, completeBytes: 0}
    throw new InputError(`Cannot read the --resume file ${path}: ${(error as NodeJS.ErrnoException).code}`, {cause: error, hint: 'Check the path given to --resume.'}, 'E_RESUME_FILE')
  }

  let position = 0
  let completeBytes = 0
  const chunks = async function* (): AsyncGenerator<Buffer> {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      const newline = chunk.lastIndexOf(0x0a)
      if (newline !== -1) completeBytes = position + newline + 1
      position += chunk.length
      yield chunk
    }
  }

  for await (const line of splitLines(chunks(), Number.POSITIVE_INFINITY)) {
    if (line === 'overflow') continue
    let value: unknown
    try {
      value = JSON.parse(line.toString('utf8'))
    } catch {
      continue // a torn last line from a killed run: that record is simply not done
    }

    const key = outputRecordKey(value, idField)
    if (key !== undefined) done.add(key)
  }

  return {done, endsWithPartialLine: completeBytes < position, completeBytes}
}
