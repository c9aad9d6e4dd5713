import {dirname} from 'node:path'

import {DownloadError} from '../../errors/index.js'
import {formatBytes} from '../../format/index.js'
import type {DownloadProgress, StoreLog} from '../types.js'
import {headUrl, statusError, type RemoteFileInfo} from './http.js'
import {headHubFile, hubError, type HubContext} from './hub.js'
import {withRetries, type RetryOptions} from './retry.js'
import {checkFreeSpace, fetchIntoPart, finishPart, openPart, type PartFile} from './transfer.js'

/** Where a file comes from: a file of a Hugging Face repo (`datasets/owner/name` for a dataset repo), or a plain URL. */
export type DownloadSource = {hub: {path: string; repo: string; revision: string}} | {url: URL}

/** One file to download into place. */
export interface DownloadTarget {
  /** Shown in progress and messages. */
  name: string
  /** Absolute destination; its directory must exist. `<dest>.part` holds the bytes until they are verified. */
  dest: string
  source: DownloadSource
  /** The sha256 the file must have; default: the hub's `X-Linked-Etag`, else none (only recorded). */
  expectedSha256?: string
  /** Where `expectedSha256` comes from, for messages (`the catalog`). */
  shaFrom?: string
  /** The size the file must have; default: what the server announces. */
  expectedSizeBytes?: number
  /** What to do when the server's sha256 differs from `expectedSha256`; default: pin an `hf:` revision. */
  changedUpstreamHint?: string
}

/** Options of {@link downloadVerified}. */
export interface DownloadVerifiedOptions {
  /** How lost connections and 5xx/429 answers are retried (each retry resumes from the part file). */
  retry: RetryOptions
  /** A transfer that receives nothing for this long is dropped and retried; default 60 000 ms. */
  idleTimeoutMs?: number
  signal?: AbortSignal
  onProgress?: (progress: DownloadProgress) => void
  log: StoreLog
  /** Checks the complete part before it is renamed (the GGUF header for models); a failure deletes the part. */
  validate?: (path: string) => Promise<void>
}

/** A downloaded and verified file. */
export interface DownloadedFile {
  sha256: string
  sizeBytes: number
  /** Which sha256 the file was checked against: the target's, the hub's, or none (computed and recorded only). */
  checkedAgainst: 'expected' | 'hub' | 'none'
  transferredBytes: number
  resumedFromBytes: number
  /** `X-Repo-Commit` (hub only). */
  commit?: string
}

/**
 * The store's one download path, shared by `pull` and the bench datasets: asks the server for the file's size and
 * sha256, refuses a file that differs from the expected one before sending a byte, resumes `<dest>.part` with a
 * Range request (retrying lost connections), then checks size and sha256 and renames into place; a part that fails
 * a check is deleted. The caller holds the file's lock.
 */
export async function downloadVerified(target: DownloadTarget, hub: HubContext, options: DownloadVerifiedOptions): Promise<DownloadedFile> {
  const {name, dest, source} = target
  let meta: RemoteFileInfo = {contentUrl: ''}
  let part: PartFile | undefined
  let expectedSha256 = target.expectedSha256
  let checkedAgainst: DownloadedFile['checkedAgainst'] = expectedSha256 ? 'expected' : 'none'
  let shaFrom = target.shaFrom ?? 'the catalog'
  await withRetries(async () => {
    meta = 'hub' in source ? await headHubFile(hub, source.hub) : await headUrl(source.url, hub)
    if (meta.sha256 && expectedSha256 && meta.sha256 !== expectedSha256) {
      throw new DownloadError(`${name}: ${shaFrom} expects sha256 ${expectedSha256}, but the hub serves ${meta.sha256}`, {
        hint: target.changedUpstreamHint ?? 'The file changed upstream; nothing was downloaded. Pin a revision (hf:owner/repo/file.gguf@<commit>) or report the catalog entry.',
      }, 'E_CHECKSUM')
    }

    if (!expectedSha256 && meta.sha256) {
      expectedSha256 = meta.sha256
      checkedAgainst = 'hub'
      shaFrom = 'the hub (X-Linked-Etag)'
    }

    if (target.expectedSizeBytes !== undefined && meta.sizeBytes !== undefined && target.expectedSizeBytes !== meta.sizeBytes) {
      throw new DownloadError(`${name}: expected ${target.expectedSizeBytes} bytes, the hub serves ${meta.sizeBytes}`, {hint: 'The file changed upstream; nothing was downloaded.'}, 'E_SIZE_MISMATCH')
    }

    const totalBytes = target.expectedSizeBytes ?? meta.sizeBytes
    part ??= await openPart(dest, {expectedSizeBytes: totalBytes, name, onProgress: options.onProgress})
    if (part.transferredBytes === 0 && part.resumedFromBytes > 0) {
      const share = totalBytes ? ` (${Math.floor((part.resumedFromBytes / totalBytes) * 100)}%)` : ''
      options.log('info', `${name}: resuming from the ${formatBytes(part.resumedFromBytes)}${share} already on disk`)
    }

    if (totalBytes !== undefined) await checkFreeSpace(dirname(dest), totalBytes - part.bytes, options.log)
    await fetchIntoPart(part, meta.contentUrl, hub, {
      name,
      totalBytes,
      signal: options.signal,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      onProgress: options.onProgress,
      log: options.log,
      onHttpError: (response) => ('hub' in source ? hubError(response, hub, source.hub) : statusError(response, new URL(meta.contentUrl), hub.token)),
    })
  }, name, options.retry)

  if (!expectedSha256) options.log('warn', `${name}: no published sha256 to check against; recording the one computed`)
  const finished = await finishPart(part!, dest, {sha256: expectedSha256, sizeBytes: target.expectedSizeBytes ?? meta.sizeBytes, from: shaFrom}, options.validate)
  options.log('debug', `${name}: sha256 ${finished.sha256} ${expectedSha256 ? 'verified' : 'recorded'}`)
  return {...finished, checkedAgainst, transferredBytes: part!.transferredBytes, resumedFromBytes: part!.resumedFromBytes, commit: meta.commit}
}
