import {stat} from 'node:fs/promises'
import {join} from 'node:path'

import {updateManifest} from '../manifest.js'
import type {InstalledFile, ManifestEntry, PullResult} from '../types.js'
import type {PullRun} from './pull-run.js'

/** Writes `entry` into the manifest, replacing an entry of the same id but keeping the references it had. */
export async function recordEntry(entry: ManifestEntry, run: PullRun): Promise<void> {
  await updateManifest(run.modelsDir, (manifest) => {
    const previous = manifest.models.find((model) => model.id === entry.id)
    if (previous) entry.refs = [...new Set([...previous.refs, ...entry.refs])]
    manifest.models = [...manifest.models.filter((model) => model.id !== entry.id), entry]
  })
}

/** Records an installed model once more under `alias` (same files), and returns the new entry. */
export async function addAlias(entry: ManifestEntry, alias: string, run: PullRun): Promise<ManifestEntry> {
  const aliased: ManifestEntry = {...entry, id: alias, refs: [], installedAt: new Date().toISOString()}
  await recordEntry(aliased, run)
  return aliased
}

/** True when the files of `entry` (and its mmproj) are on disk with the recorded sizes. */
export async function isPresent(modelsDir: string, entry: ManifestEntry): Promise<boolean> {
  const sized = async (file: InstalledFile): Promise<boolean> => (await stat(join(modelsDir, ...file.file.split('/'))).catch(() => undefined))?.size === file.sizeBytes
  return (await sized(entry)) && (!entry.mmproj || (await sized(entry.mmproj)))
}

/** The `pullModel` result (without `durationMs`) for a manifest entry and what this run transferred. */
export function pullResultOf(entry: ManifestEntry, modelsDir: string, transfer: {alreadyInstalled: boolean; transferredBytes: number; resumedFromBytes: number}): Omit<PullResult, 'durationMs'> {
  return {
    id: entry.id,
    path: join(modelsDir, ...entry.file.split('/')),
    sizeBytes: entry.sizeBytes,
    sha256: entry.sha256,
    verified: entry.checksumSource !== 'computed',
    checksumSource: entry.checksumSource,
    source: entry.source.ref,
    sourceKind: entry.source.kind,
    ...(entry.source.repo ? {repo: entry.source.repo} : {}),
    ...(entry.source.revision ? {revision: entry.source.revision} : {}),
    ...(entry.source.commit ? {commit: entry.source.commit} : {}),
    ...(entry.license ? {license: entry.license} : {}),
    ...(entry.catalogId ? {catalogId: entry.catalogId} : {}),
    ...(entry.quant ? {quant: entry.quant} : {}),
    ...(entry.quantName ? {quantName: entry.quantName} : {}),
    ...(entry.mmproj
      ? {mmproj: {path: join(modelsDir, ...entry.mmproj.file.split('/')), sizeBytes: entry.mmproj.sizeBytes, sha256: entry.mmproj.sha256, verified: entry.mmproj.checksumSource !== 'computed'}}
      : {}),
    ...transfer,
  }
}
