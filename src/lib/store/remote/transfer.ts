import {createHash, type Hash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {open, rename, stat, statfs, truncate, unlink} from 'node:fs/promises'
import {dirname} from 'node:path'

import {DownloadError, InterruptedError, ResourceError} from '../../errors/index.js'
import {formatBytes} from '../../format/index.js'
import {fsError} from '../fs-errors.js'
import {syncDirectory} from '../manifest.js'
import type {DownloadProgress} from '../types.js'
import {request, TransientError, type HttpContext} from './http.js'

/** A `<dest>.part` file being filled, and the sha256 of the bytes it holds so far. */
export interface PartFile {
  path: string
  hash: Hash
  /** Bytes in the part file (all of them hashed). */
  bytes: number
  /** Bytes found on disk when the part was opened (reused from an interrupted run). */
  resumedFromBytes: number
  /** Bytes moved by this run. */
  transferredBytes: number
  startedAt: number
}

/** The suffix of partial files. */
export const PART_SUFFIX = '.part'

/**
 * Opens the part file of `dest` for resuming: the bytes an earlier run left are hashed first, so the final
 * sha256 covers the whole file. A part longer than the expected size is discarded.
 */
export async function openPart(dest: string, options: {expectedSizeBytes?: number; onProgress?: (progress: DownloadProgress) => void; name: string}): Promise<PartFile> {
  const path = dest + PART_SUFFIX
  const part: PartFile = {path, hash: createHash('sha256'), bytes: 0, resumedFromBytes: 0, transferredBytes: 0, startedAt: Date.now()}
  const existing = await stat(path).catch(() => undefined)
  if (!existing || existing.size === 0) return part
  if (options.expectedSizeBytes !== undefined && existing.size > options.expectedSizeBytes) {
    await resetPart(part)
    return part
  }

  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    part.hash.update(chunk)
    part.bytes += chunk.length
    options.onProgress?.({name: options.name, phase: 'hashing', doneBytes: part.bytes, totalBytes: existing.size, resumedFromBytes: 0, bytesPerSecond: 0})
  }

  part.resumedFromBytes = part.bytes
  part.startedAt = Date.now()
  return part
}

/** Empties a part file and its running hash: the next transfer starts from byte 0. */
export async function resetPart(part: PartFile): Promise<void> {
  await truncate(part.path, 0).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw fsError(error, part.path)
  })
  part.hash = createHash('sha256')
  part.bytes = 0
  part.resumedFromBytes = 0
}

/** Options of {@link fetchIntoPart}. */
export interface FetchIntoPartOptions {
  name: string
  /** Size of the whole file, when known; the transfer is complete at this many bytes. */
  totalBytes?: number
  signal?: AbortSignal
  /** Drop and retry a connection that sends nothing for this long. */
  idleTimeoutMs: number
  onProgress?: (progress: DownloadProgress) => void
  log?: (level: 'debug' | 'info' | 'warn', message: string) => void
  /** Turns an HTTP error answer into the error to throw (hub-aware, or generic). */
  onHttpError: (response: Response) => Error
}

/**
 * Appends the rest of the file at `url` to the part file, asking for `Range: bytes=<have>-`. It handles a
 * server that ignores ranges (200: start over), a part longer than the file (416), and a response that does
 * not start where asked (start over). A lost or stalled connection throws TransientError with the part kept.
 */
export async function fetchIntoPart(part: PartFile, url: string, http: HttpContext, options: FetchIntoPartOptions): Promise<void> {
  if (options.totalBytes !== undefined && part.bytes === options.totalBytes) return
  const stall = new AbortController()
  const signal = options.signal ? AbortSignal.any([options.signal, stall.signal]) : stall.signal
  let idleTimer = setTimeout(() => stall.abort(), options.idleTimeoutMs)
  const touch = (): void => {
    clearTimeout(idleTimer)
    idleTimer = setTimeout(() => stall.abort(), options.idleTimeoutMs)
  }

  try {
    const headers: Record<string, string> = part.bytes > 0 ? {Range: `bytes=${part.bytes}-`} : {}
    const {response} = await request(url, {...http, signal}, {headers}).catch((error: unknown) => {
      throw stall.signal.aborted && !options.signal?.aborted ? stalled(options.name, part) : error
    })
    touch()
    const total = await checkResponse(part, response, options)
    if (total === 'complete') return
    await streamBody(part, response, total, options, () => {
      touch()
      return stall.signal.aborted
    })
  } catch (error) {
    if (options.signal?.aborted) throw new InterruptedError()
    if (stall.signal.aborted && !(error instanceof TransientError)) throw stalled(options.name, part)
    throw error
  } finally {
    clearTimeout(idleTimer)
  }
}

async function checkResponse(part: PartFile, response: Response, options: FetchIntoPartOptions): Promise<number | undefined | 'complete'> {
  const contentRange = response.headers.get('content-range')
  if (response.status === 416) {
    await response.body?.cancel()
    const total = contentRange ? Number(/\/(\d+)$/.exec(contentRange)?.[1]) : Number.NaN
    if (total === part.bytes) return 'complete'
    options.log?.('warn', `${options.name}: the partial download does not fit the file on the server; starting over`)
    await resetPart(part)
    throw new TransientError(`${options.name}: the server refused to resume`, 'Run the same command again.')
  }

  if (!response.ok) {
    await response.body?.cancel()
    throw options.onHttpError(response)
  }

  if (response.status === 206) {
    const match = contentRange ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(contentRange.trim()) : null
    if (!match || Number(match[1]) !== part.bytes) {
      await response.body?.cancel()
      await resetPart(part)
      throw new TransientError(`${options.name}: the server answered a different range than asked for; starting over`, 'Run the same command again.')
    }

    const total = match[3] === '*' ? undefined : Number(match[3])
    checkTotal(total, options)
    return total
  }

  if (part.bytes > 0) {
    options.log?.('warn', `${options.name}: the server cannot resume downloads; starting over from 0 bytes`)
    await resetPart(part)
  }

  const length = response.headers.get('content-length')
  const total = length === null ? undefined : Number(length)
  checkTotal(total, options)
  return total
}

function checkTotal(total: number | undefined, options: FetchIntoPartOptions): void {
  if (total !== undefined && options.totalBytes !== undefined && total !== options.totalBytes) {
    throw new DownloadError(`${options.name}: the server sends ${total} bytes, but ${options.totalBytes} were expected`, {hint: 'The file changed on the server; run again later or report the catalog entry.'}, 'E_SIZE_MISMATCH')
  }
}

async function streamBody(part: PartFile, response: Response, total: number | undefined, options: FetchIntoPartOptions, onChunk: () => boolean): Promise<void> {
  if (!response.body) throw new TransientError(`${options.name}: the server sent no body`, 'Run the same command again.')
  const handle = await open(part.path, 'a').catch((error: unknown) => {
    throw fsError(error, part.path)
  })
  try {
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        if (onChunk()) break
        try {
          await handle.write(chunk)
        } catch (error) {
          throw new WriteFailure(error)
        }

        part.hash.update(chunk)
        part.bytes += chunk.length
        part.transferredBytes += chunk.length
        options.onProgress?.(progressOf(part, options.name, 'downloading', total))
      }
    } catch (error) {
      if (error instanceof WriteFailure) throw fsError(error.cause, part.path)
      if (options.signal?.aborted) throw new InterruptedError()
      throw lost(options.name, part, total, error)
    }
  } finally {
    await handle.close()
  }

  if (total !== undefined && part.bytes < total) throw lost(options.name, part, total)
}

class WriteFailure extends Error {
  constructor(cause: unknown) {
    super('write failed', {cause})
  }
}

function lost(name: string, part: PartFile, total: number | undefined, cause?: unknown): TransientError {
  const where = total ? `${Math.floor((part.bytes / total) * 100)}% (${formatBytes(part.bytes)} of ${formatBytes(total)})` : formatBytes(part.bytes)
  return new TransientError(`${name}: the connection was lost after ${where}`, `Run the same command again: it resumes from the ${formatBytes(part.bytes)} already on disk.`, {cause})
}

function stalled(name: string, part: PartFile): TransientError {
  return new TransientError(`${name}: the download stalled at ${formatBytes(part.bytes)}`, `Run the same command again: it resumes from the ${formatBytes(part.bytes)} already on disk.`)
}

/** Progress of a part file at this instant. */
export function progressOf(part: PartFile, name: string, phase: DownloadProgress['phase'], totalBytes: number | undefined): DownloadProgress {
  const seconds = Math.max((Date.now() - part.startedAt) / 1000, 0.001)
  const bytesPerSecond = part.transferredBytes / seconds
  const etaMs = totalBytes !== undefined && bytesPerSecond > 0 ? ((totalBytes - part.bytes) / bytesPerSecond) * 1000 : undefined
  return {name, phase, doneBytes: part.bytes, totalBytes, resumedFromBytes: part.resumedFromBytes, bytesPerSecond, etaMs}
}

/** Copies a local file into the part file (from byte 0: a local source is fast, and it may have changed since). */
export async function copyIntoPart(part: PartFile, source: string, options: {name: string; signal?: AbortSignal; onProgress?: (progress: DownloadProgress) => void}): Promise<void> {
  await resetPart(part)
  const total = (await stat(source)).size
  const handle = await open(part.path, 'w').catch((error: unknown) => {
    throw fsError(error, part.path)
  })
  try {
    for await (const chunk of createReadStream(source, {signal: options.signal}) as AsyncIterable<Buffer>) {
      await handle.write(chunk).catch((error: unknown) => {
        throw fsError(error, part.path)
      })
      part.hash.update(chunk)
      part.bytes += chunk.length
      part.transferredBytes += chunk.length
      options.onProgress?.(progressOf(part, options.name, 'copying', total))
    }
  } catch (error) {
    if (options.signal?.aborted) throw new InterruptedError()
    throw error
  } finally {
    await handle.close()
  }
}

/** What a finished part must be. */
export interface Expected {
  sha256?: string
  sizeBytes?: number
  /** Where `sha256` came from, for the message. */
  from?: string
}

/**
 * Checks the size and sha256 of a complete part file, runs `validate` on it, flushes it and renames it to `dest`.
 * A part that fails a check is deleted, so a bad download never becomes a model and is never resumed.
 */
export async function finishPart(part: PartFile, dest: string, expected: Expected, validate?: (path: string) => Promise<void>): Promise<{sha256: string; sizeBytes: number}> {
  const sha256 = part.hash.digest('hex')
  const name = dest.split(/[/\\]/).pop()!
  const discard = async (): Promise<void> => {
    await unlink(part.path).catch(() => {}) // already gone is fine
  }

  if (expected.sizeBytes !== undefined && part.bytes !== expected.sizeBytes) {
    await discard()
    throw new DownloadError(`${name}: got ${part.bytes} bytes, expected ${expected.sizeBytes}`, {hint: 'The partial file was deleted; run the same command again to download it afresh.'}, 'E_SIZE_MISMATCH')
  }

  if (expected.sha256 && sha256 !== expected.sha256.toLowerCase()) {
    await discard()
    throw new DownloadError(`${name}: sha256 mismatch: expected ${expected.sha256} (${expected.from ?? 'published'}), got ${sha256}`, {
      hint: 'The file was corrupted in transit or changed at the source. It was deleted and nothing was installed; run the same command again to download it afresh.',
      details: {expected: expected.sha256, actual: sha256},
    }, 'E_CHECKSUM')
  }

  if (validate) {
    try {
      await validate(part.path)
    } catch (error) {
      await discard()
      throw new DownloadError(`${name} is not a valid GGUF model file: ${(error as Error).message.replace(part.path, name)}`, {
        cause: error,
        hint: 'Check that the reference points to a .gguf file; nothing was installed.',
      }, 'E_NOT_GGUF')
    }
  }

  try {
    const handle = await open(part.path, 'r+')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }

    await rename(part.path, dest)
  } catch (error) {
    throw fsError(error, dest)
  }

  await syncDirectory(dirname(dest))
  return {sha256, sizeBytes: part.bytes}
}

/** Fails with ResourceError (exit 6) before a transfer that cannot fit on the disk holding `dir`. */
export async function checkFreeSpace(dir: string, neededBytes: number, log?: (level: 'debug', message: string) => void): Promise<void> {
  if (neededBytes <= 0) return
  let freeBytes: number
  try {
    const stats = await statfs(dir)
    freeBytes = Number(stats.bavail) * Number(stats.bsize)
  } catch (error) {
    log?.('debug', `free-space check skipped: ${(error as Error).message}`)
    return
  }

  // Keep a margin, so that a pull never fills the disk to the last byte under other programs.
  const marginBytes = Math.min(256e6, Math.max(16e6, neededBytes * 0.01))
  if (freeBytes < neededBytes + marginBytes) {
    throw new ResourceError(`Not enough disk space in ${dir}: ${formatBytes(neededBytes)} needed, ${formatBytes(freeBytes)} free`, {
      hint: 'Free some space, or point JSL_MED_MODELS_DIR (or --models-dir) at a larger disk.',
      details: {neededBytes, freeBytes},
    }, 'E_DISK_FULL')
  }
}
