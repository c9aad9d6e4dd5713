import {mkdir, stat} from 'node:fs/promises'
import {dirname} from 'node:path'

import {fsError} from './fs-errors.js'
import {sha256File} from './hash.js'
import {acquireLock} from './lock.js'
import {downloadVerified, type DownloadSource} from './remote/download.js'
import {createHubContext} from './remote/hub.js'
import type {TransferOptions} from './types.js'

/** Options of {@link fetchFile}. */
export interface FetchFileOptions extends TransferOptions {
  /** Shown in progress and messages. */
  name: string
  /** Absolute destination; its folder is created. */
  dest: string
  source: DownloadSource
  /** The sha256 the file must have: a file without a known one is not fetched this way. */
  sha256: string
  /** The size it must have; default: what the server announces. */
  sizeBytes?: number
  /** Where `sha256` comes from, for messages; default `the catalog`. */
  shaFrom?: string
  /** What to do when the server's sha256 differs from `sha256`. */
  changedUpstreamHint?: string
  /** Environment for `HF_ENDPOINT`, `HF_TOKEN`, `HF_HOME`; default `process.env`. */
  env?: NodeJS.ProcessEnv
  /** Aborts, keeping the partial file for a later resume (throws InterruptedError). */
  signal?: AbortSignal
}

/** A file in place with the expected sha256. */
export interface FetchFileResult {
  path: string
  sha256: string
  sizeBytes: number
  /** False when the file was already there (nothing was requested). */
  downloaded: boolean
  /** Bytes transferred by this run. */
  transferredBytes: number
  /** Bytes an earlier, interrupted run had left in `<dest>.part` and this run reused. */
  resumedFromBytes: number
}

/** Whether `path` is a file with this sha256 (no file: false). */
export async function hasVerifiedFile(path: string, sha256: string): Promise<boolean> {
  const found = await stat(path).catch(() => undefined)
  return Boolean(found?.isFile()) && (await sha256File(path)) === sha256.toLowerCase()
}

/**
 * Puts one file with a known sha256 at `dest`, the way `pull` installs a model: under `<dest>.lock`, a file already
 * there with that sha256 is kept without a request; otherwise it is downloaded into `<dest>.part` (resuming what an
 * interrupted run left), verified and renamed into place. A file that fails the check is deleted, never kept.
 */
export async function fetchFile(options: FetchFileOptions): Promise<FetchFileResult> {
  const {dest} = options
  const log = options.log ?? (() => {})
  await mkdir(dirname(dest), {recursive: true}).catch((error: unknown) => {
    throw fsError(error, dirname(dest))
  })
  const lock = await acquireLock(`${dest}.lock`, {
    signal: options.signal,
    onWait: (holder) => log('info', `Waiting for another jsl-med${holder ? ` (pid ${holder.pid})` : ''} that is downloading ${options.name}…`),
  })
  try {
    if (await hasVerifiedFile(dest, options.sha256)) {
      const {size} = await stat(dest)
      return {path: dest, sha256: options.sha256.toLowerCase(), sizeBytes: size, downloaded: false, transferredBytes: 0, resumedFromBytes: 0}
    }

    const hub = await createHubContext(options.env ?? process.env, options.fetch ?? fetch, options.signal)
    const downloaded = await downloadVerified({
      name: options.name,
      dest,
      source: options.source,
      expectedSha256: options.sha256.toLowerCase(),
      shaFrom: options.shaFrom,
      expectedSizeBytes: options.sizeBytes,
      changedUpstreamHint: options.changedUpstreamHint,
    }, hub, {
      retry: {retries: options.retries, delayMs: options.retryDelayMs, signal: options.signal, log},
      idleTimeoutMs: options.idleTimeoutMs,
      signal: options.signal,
      onProgress: options.onProgress,
      log,
    })
    return {path: dest, sha256: downloaded.sha256, sizeBytes: downloaded.sizeBytes, downloaded: true, transferredBytes: downloaded.transferredBytes, resumedFromBytes: downloaded.resumedFromBytes}
  } finally {
    await lock.release()
  }
}
