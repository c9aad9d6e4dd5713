import {mkdir, stat} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {validateGgufFile} from '../../gguf/index.js'
import {fsError} from '../fs-errors.js'
import {sha256File} from '../hash.js'
import {acquireLock, type Lock} from '../lock.js'
import {readManifest} from '../manifest.js'
import {downloadVerified, type DownloadedFile} from '../remote/download.js'
import type {HubContext} from '../remote/hub.js'
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

  const downloaded = await downloadVerified({
    name: planned.name,
    dest,
    source: planned.hub ? {hub: planned.hub} : {url: planned.url!},
    expectedSha256: planned.expectedSha256,
    shaFrom: planned.checksumSource === 'catalog' ? 'the catalog' : 'the hub tree',
    expectedSizeBytes: planned.expectedSizeBytes,
  }, hub, {retry: run.retry, idleTimeoutMs: options.idleTimeoutMs, signal: options.signal, onProgress: options.onProgress, log: run.log, validate: validateGgufFile})
  const checksumSource = {expected: planned.checksumSource, hub: 'hub', none: 'computed'} as const satisfies Record<DownloadedFile['checkedAgainst'], ChecksumSource>
  return {
    sha256: downloaded.sha256,
    sizeBytes: downloaded.sizeBytes,
    checksumSource: checksumSource[downloaded.checkedAgainst],
    transferredBytes: downloaded.transferredBytes,
    resumedFromBytes: downloaded.resumedFromBytes,
    commit: downloaded.commit,
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
