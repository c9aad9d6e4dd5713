import {mkdir, stat} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {DownloadError} from '../../errors/index.js'
import {formatBytes} from '../../format/index.js'
import {validateGgufFile} from '../../gguf/index.js'
import {fsError} from '../fs-errors.js'
import {sha256File} from '../hash.js'
import {acquireLock, type Lock} from '../lock.js'
import {readManifest} from '../manifest.js'
import {headUrl, statusError, type RemoteFileInfo} from '../remote/http.js'
import {headHubFile, hubError, type HubContext} from '../remote/hub.js'
import {withRetries} from '../remote/retry.js'
import {checkFreeSpace, fetchIntoPart, finishPart, openPart, type PartFile} from '../remote/transfer.js'
import type {ChecksumSource} from '../types.js'
import type {PlannedFile} from './plan.js'
import type {PullRun} from './pull-run.js'

/** One installed file and how it got there. */
export interface InstalledOutcome {
  sha256: string
  sizeBytes: number
  checksumSource: ChecksumSource
  transferredBytes: number
  resumedFromBytes: number
  commit?: string
}

/**
 * Downloads one planned file under its lock. After the lock is won (perhaps after waiting for another pull of
 * the same file), a file that is already in place and verified is reused instead of downloaded again. The lock
 * is pushed onto `locks`, for the caller to release once the manifest records the file.
 */
export async function installFile(planned: PlannedFile, hub: HubContext, run: PullRun, locks: Lock[]): Promise<InstalledOutcome> {
  const {options} = run
  const dest = join(run.modelsDir, ...planned.file.split('/'))
  await mkdir(dirname(dest), {recursive: true}).catch((error: unknown) => {
    throw fsError(error, dirname(dest))
  })
  const lock = await acquireLock(`${dest}.lock`, {
    signal: options.signal,
    onWait: (holder) => run.log('info', `Waiting for another jsl-med${holder ? ` (pid ${holder.pid})` : ''} that is downloading ${planned.name}…`),
  })
  locks.push(lock)

  const reused = await reuseExisting(planned, dest, run)
  if (reused) return reused

  let meta: RemoteFileInfo = {contentUrl: ''}
  let part: PartFile | undefined
  let expectedSha256 = planned.expectedSha256
  let checksumSource = planned.checksumSource
  let shaFrom = planned.checksumSource === 'catalog' ? 'the catalog' : 'the hub tree'
  await withRetries(async () => {
    meta = planned.hub ? await headHubFile(hub, planned.hub) : await headUrl(planned.url!, hub)
    if (meta.sha256 && expectedSha256 && meta.sha256 !== expectedSha256) {
      throw new DownloadError(`${planned.name}: ${shaFrom} expects sha256 ${expectedSha256}, but the hub serves ${meta.sha256}`, {
        hint: 'The file changed upstream; nothing was downloaded. Pin a revision (hf:owner/repo/file.gguf@<commit>) or report the catalog entry.',
      }, 'E_CHECKSUM')
    }

    if (!expectedSha256 && meta.sha256) {
      expectedSha256 = meta.sha256
      checksumSource = 'hub'
      shaFrom = 'the hub (X-Linked-Etag)'
    }

    if (planned.expectedSizeBytes !== undefined && meta.sizeBytes !== undefined && planned.expectedSizeBytes !== meta.sizeBytes) {
      throw new DownloadError(`${planned.name}: expected ${planned.expectedSizeBytes} bytes, the hub serves ${meta.sizeBytes}`, {hint: 'The file changed upstream; nothing was downloaded.'}, 'E_SIZE_MISMATCH')
    }

    const totalBytes = planned.expectedSizeBytes ?? meta.sizeBytes
    part ??= await openPart(dest, {expectedSizeBytes: totalBytes, name: planned.name, onProgress: options.onProgress})
    if (part.transferredBytes === 0 && part.resumedFromBytes > 0) {
      const share = totalBytes ? ` (${Math.floor((part.resumedFromBytes / totalBytes) * 100)}%)` : ''
      run.log('info', `${planned.name}: resuming from the ${formatBytes(part.resumedFromBytes)}${share} already on disk`)
    }

    if (totalBytes !== undefined) await checkFreeSpace(dirname(dest), totalBytes - part.bytes, run.log)
    await fetchIntoPart(part, meta.contentUrl, hub, {
      name: planned.name,
      totalBytes,
      signal: options.signal,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      onProgress: options.onProgress,
      log: run.log,
      onHttpError: (response) => (planned.hub ? hubError(response, hub, planned.hub) : statusError(response, new URL(meta.contentUrl), hub.token)),
    })
  }, planned.name, run.retry)

  if (!expectedSha256) run.log('warn', `${planned.name}: no published sha256 to check against; recording the one computed`)
  const finished = await finishPart(part!, dest, {sha256: expectedSha256, sizeBytes: planned.expectedSizeBytes ?? meta.sizeBytes, from: shaFrom}, validateGgufFile)
  run.log('debug', `${planned.name}: sha256 ${finished.sha256} ${expectedSha256 ? 'verified' : 'recorded'}`)
  return {
    ...finished,
    checksumSource: expectedSha256 ? checksumSource : 'computed',
    transferredBytes: part!.transferredBytes,
    resumedFromBytes: part!.resumedFromBytes,
    commit: meta.commit,
  }
}

/**
 * A file already at `dest` (installed by a pull that held the lock before us, or left by a crash between the
 * rename and the manifest) is reused when the manifest vouches for it or its sha256 matches the expected one.
 */
async function reuseExisting(planned: PlannedFile, dest: string, run: PullRun): Promise<InstalledOutcome | undefined> {
  const existing = await stat(dest).catch(() => undefined)
  if (!existing?.isFile() || run.options.force) return undefined
  const manifest = await readManifest(run.modelsDir)
  const files = manifest.models.flatMap((entry) => (entry.mmproj ? [entry, entry.mmproj] : [entry]))
  const known = files.find((file) => file.file === planned.file && file.sizeBytes === existing.size)
  if (known && (!planned.expectedSha256 || known.sha256 === planned.expectedSha256)) {
    run.log('info', `${planned.name} is already in the store`)
    return {sha256: known.sha256, sizeBytes: known.sizeBytes, checksumSource: known.checksumSource, transferredBytes: 0, resumedFromBytes: 0}
  }

  if (!planned.expectedSha256) return undefined
  if ((await sha256File(dest)) !== planned.expectedSha256) return undefined
  run.log('info', `${planned.name} is already on disk and its sha256 matches`)
  return {sha256: planned.expectedSha256, sizeBytes: existing.size, checksumSource: planned.checksumSource, transferredBytes: 0, resumedFromBytes: 0}
}
