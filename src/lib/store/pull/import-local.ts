import {mkdir, stat} from 'node:fs/promises'
import {basename, dirname, join, resolve as resolvePath} from 'node:path'

import {ModelNotFoundError} from '../../errors/index.js'
import {readGgufQuantName, validateGgufFile} from '../../gguf/index.js'
import {fsError} from '../fs-errors.js'
import {sha256File} from '../hash.js'
import {acquireLock, type Lock} from '../lock.js'
import {readManifest} from '../manifest.js'
import {quantClassOf, quantNameOf} from '../quant.js'
import {checkFreeSpace, copyIntoPart, finishPart, openPart} from '../remote/transfer.js'
import type {InstalledFile, ManifestEntry, PullResult} from '../types.js'
import {isPresent, pullResultOf, recordEntry} from './manifest-entry.js'
import {safePathSegment, type PullRun} from './pull-run.js'

/**
 * Imports a local `.gguf` (and the `--mmproj` file): validates it, copies it into `local/<id>/` under a lock and
 * records it, named by `--as`, else after the file; a name that is a catalog model (`name:q8`) links it to the
 * catalog entry. Without `--force`, a file already imported from the same path with the same size is not copied again.
 */
export async function importLocal(path: string, run: PullRun): Promise<Omit<PullResult, 'durationMs'>> {
  const {options} = run
  const source = resolvePath(path)
  await validateLocal(source, path)
  if (options.mmproj) await validateLocal(resolvePath(options.mmproj), options.mmproj)

  const fileName = basename(source)
  const name = options.as ?? fileName.replace(/\.gguf$/i, '').toLowerCase()
  const [base, tag] = name.includes(':') ? [name.slice(0, name.lastIndexOf(':')), name.slice(name.lastIndexOf(':') + 1).toLowerCase()] : [name, undefined]
  const model = run.catalog.findModel(name) ?? (tag ? run.catalog.findModel(base) : undefined)
  // The header says what the file holds; the name is the fallback (a synthetic `tiny.gguf` names nothing).
  const quantName = (await readGgufQuantName(source)) ?? quantNameOf(fileName)
  const tagQuant = tag === 'q4' || tag === 'q8' || tag === 'q16' ? tag : undefined
  const quant = tagQuant ?? (options.quant && options.quant !== 'auto' ? options.quant : quantClassOf(quantName))
  const variant = model && quant ? model.variants[quant] : undefined
  const id = model ? (quant ? `${model.id}:${quant}` : model.id) : name
  if (model && !quant) run.log('warn', `cannot tell the quantization of ${fileName}; pass --quant q4|q8|q16 so that --model ${model.id}:<quant> finds it`)

  const manifest = await readManifest(run.modelsDir)
  const sourceStats = await stat(source)
  const installed = manifest.models.find((entry) => entry.id === id && entry.source.kind === 'file' && entry.source.ref === source && entry.sizeBytes === sourceStats.size)
  if (installed && !options.force && (await isPresent(run.modelsDir, installed))) {
    run.log('info', `${id} is already imported from ${source}`)
    return pullResultOf(installed, run.modelsDir, {alreadyInstalled: true, transferredBytes: 0, resumedFromBytes: 0})
  }

  const same = options.force || options.mmproj ? undefined : await sameFileInStore(source, sourceStats.size, manifest.models, run.modelsDir)
  if (same && (!variant?.sha256 || variant.sha256.toLowerCase() === same.sha256)) {
    run.log('info', `${fileName} is the file of installed model ${same.id} (same sha256): ${id} is recorded as another name for it, not copied again`)
    const entry: ManifestEntry = {
      id,
      refs: options.as && options.as !== id ? [options.as] : [],
      ...(model ? {catalogId: model.id} : same.catalogId ? {catalogId: same.catalogId} : {}),
      ...(quant ? {quant} : {}),
      ...(quantName ? {quantName} : {}),
      file: same.file,
      sizeBytes: same.sizeBytes,
      sha256: same.sha256,
      checksumSource: variant?.sha256 ? 'catalog' : same.checksumSource,
      source: {kind: 'file', ref: source},
      ...(model ? {license: model.license} : same.license ? {license: same.license} : {}),
      ...(same.mmproj ? {mmproj: same.mmproj} : {}),
      installedAt: new Date().toISOString(),
    }
    await recordEntry(entry, run)
    return pullResultOf(entry, run.modelsDir, {alreadyInstalled: true, transferredBytes: 0, resumedFromBytes: 0})
  }

  const dir = `local/${safePathSegment(id)}`
  const locks: Lock[] = []
  try {
    const main = await copyIntoStore(source, `${dir}/${safePathSegment(fileName)}`, {sha256: variant?.sha256, sizeBytes: variant?.verified ? variant.sizeBytes : undefined}, run, locks)
    const mmprojSource = options.mmproj ? resolvePath(options.mmproj) : undefined
    const mmproj = mmprojSource
      ? await copyIntoStore(mmprojSource, `${dir}/${safePathSegment(basename(mmprojSource))}`, {sha256: model?.mmproj?.sha256, sizeBytes: model?.mmproj?.verified ? model.mmproj.sizeBytes : undefined}, run, locks)
      : undefined
    const entry: ManifestEntry = {
      id,
      refs: options.as && options.as !== id ? [options.as] : [],
      ...(model ? {catalogId: model.id} : {}),
      ...(quant ? {quant} : {}),
      ...(quantName ? {quantName} : {}),
      ...main,
      source: {kind: 'file', ref: source},
      ...(model ? {license: model.license} : {}),
      ...(mmproj ? {mmproj} : {}),
      installedAt: new Date().toISOString(),
    }
    await recordEntry(entry, run)
    return pullResultOf(entry, run.modelsDir, {alreadyInstalled: false, transferredBytes: main.sizeBytes + (mmproj?.sizeBytes ?? 0), resumedFromBytes: 0})
  } finally {
    for (const lock of locks.reverse()) await lock.release()
  }
}

/**
 * An installed entry whose file has the same bytes as `source` and is still on disk: hashing is skipped unless
 * some entry has the same size, so that importing a new file costs no extra read.
 */
async function sameFileInStore(source: string, sizeBytes: number, entries: readonly ManifestEntry[], modelsDir: string): Promise<ManifestEntry | undefined> {
  const candidates = entries.filter((entry) => entry.sizeBytes === sizeBytes)
  if (candidates.length === 0) return undefined
  const sha256 = await sha256File(source)
  for (const entry of candidates) if (entry.sha256 === sha256 && (await isPresent(modelsDir, entry))) return entry

  return undefined
}

async function validateLocal(path: string, given: string): Promise<void> {
  try {
    await validateGgufFile(path)
  } catch (error) {
    if (error instanceof ModelNotFoundError && /^[\w.-]+\/[\w.-]+(?::\w+)?$/.test(given)) {
      throw new ModelNotFoundError(error.message, {cause: error, hint: `To download from Hugging Face, write hf:${given}.`}, error.code)
    }

    throw error
  }
}

/** Copies `source` to `file` (relative to the models directory) under its lock, checking it against `expected`. */
async function copyIntoStore(source: string, file: string, expected: {sha256?: string; sizeBytes?: number}, run: PullRun, locks: Lock[]): Promise<InstalledFile> {
  const dest = join(run.modelsDir, ...file.split('/'))
  const name = basename(source)
  await mkdir(dirname(dest), {recursive: true}).catch((error: unknown) => {
    throw fsError(error, dirname(dest))
  })
  locks.push(await acquireLock(`${dest}.lock`, {signal: run.options.signal, onWait: () => run.log('info', `Waiting for another jsl-med that is writing ${name}…`)}))
  await checkFreeSpace(dirname(dest), (await stat(source)).size, run.log)
  const part = await openPart(dest, {name})
  await copyIntoPart(part, source, {name, signal: run.options.signal, onProgress: run.options.onProgress})
  const finished = await finishPart(part, dest, {...expected, from: 'the catalog'})
  return {file, ...finished, checksumSource: expected.sha256 ? 'catalog' : 'computed'}
}
