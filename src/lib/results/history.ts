import {mkdir, open, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {HardwareFingerprint} from '../bench/index.js'
import {ConfigError, ResourceError} from '../errors/index.js'
import {hardwareKey} from './key.js'

/** The folder of the bench history under the data directory. */
export const HISTORY_DIR = 'bench'

/**
 * The history file of one machine: `<dataDir>/bench/<hardware key>.ndjson`. One file per machine, holding the
 * records exactly as bench printed them, so that the file is itself a bench result file (`bench --compare` reads
 * it) and `hw` reads only this machine's lines.
 */
export function historyFile(dataDir: string, key: string): string {
  return join(dataDir, HISTORY_DIR, `${key}.ndjson`)
}

/** The part of a bench record the history needs: the machine it ran on. */
export interface HistoryRecord {
  hardware: HardwareFingerprint
}

/**
 * Appends one bench record to its machine's history file and returns the file's path. The line goes out in one
 * `write` on a file opened with O_APPEND, so that concurrent bench runs add whole lines and never overwrite each
 * other (on a local file system; a crash may still leave a torn last line, which readers skip and the next append
 * starts after). Throws ConfigError when the directory cannot be written, ResourceError when the disk is full.
 */
export async function appendToHistory<T extends HistoryRecord>(dataDir: string, record: T): Promise<string> {
  const file = historyFile(dataDir, hardwareKey(record.hardware))
  try {
    await mkdir(join(dataDir, HISTORY_DIR), {recursive: true})
    const handle = await open(file, 'a+')
    try {
      const {size} = await handle.stat()
      let separator = ''
      if (size > 0) {
        const last = Buffer.alloc(1)
        await handle.read(last, 0, 1, size - 1)
        separator = last[0] === 0x0a ? '' : '\n'
      }

      await handle.write(`${separator}${JSON.stringify(record)}\n`)
    } finally {
      await handle.close()
    }
  } catch (error) {
    throw historyError(error, file)
  }

  return file
}

/** The lines of one machine's history. */
export interface History {
  /** Every line that parsed as a JSON object, oldest first (unchecked: callers validate what they use). */
  records: unknown[]
  /** Lines that did not parse (a torn write, a hand edit). */
  skipped: number
  /** The file read (see {@link historyFile}). */
  file: string
}

/** Reads one machine's history; a missing file is an empty history. */
export async function readHistory(dataDir: string, key: string): Promise<History> {
  const file = historyFile(dataDir, key)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {records: [], skipped: 0, file}
    throw historyError(error, file)
  }

  const records: unknown[] = []
  let skipped = 0
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    try {
      const value: unknown = JSON.parse(line)
      if (value && typeof value === 'object' && !Array.isArray(value)) records.push(value)
      else skipped++
    } catch {
      skipped++ // a torn or edited line costs only itself
    }
  }

  return {records, skipped, file}
}

function historyError(error: unknown, file: string): unknown {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new ResourceError(`The disk is full while writing ${file}`, {cause: error, hint: 'Free some space, or point JSL_MED_DATA_DIR at a larger disk.'}, 'E_DISK_FULL')
  }

  // EEXIST, ENOTDIR: a file stands where the bench folder should be.
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') {
    return new ConfigError(`Cannot use the bench history ${file}: ${code}`, {cause: error, hint: 'Fix the permissions, or point JSL_MED_DATA_DIR at a writable directory.'}, 'E_NOT_WRITABLE')
  }

  return error
}
