import {readdir, rm, rmdir, stat} from 'node:fs/promises'
import {dirname, join, relative, resolve} from 'node:path'

import {ModelNotFoundError} from '../errors/index.js'
import {directoryModelError} from '../gguf/index.js'
import {resolveDirs} from '../paths/index.js'
import {didYouMean, suggestNames} from '../suggest/index.js'
import {readManifest, updateManifest} from './manifest.js'
import {builtInCatalog, unknownModelError} from './pull/index.js'
import {parseModelRef} from './refs.js'
import {hfEndpoint} from './remote/hub.js'
import {PART_SUFFIX} from './remote/transfer.js'
import type {InstalledModel, Manifest, ManifestEntry, Quant, RemovedModel, StoreOptions} from './types.js'

const QUANT_ORDER: readonly Quant[] = ['q4', 'q8', 'q16']

function modelsDirOf(options: StoreOptions): string {
  return resolve((options.dirs ?? resolveDirs({env: options.env})).modelsDir)
}

/** Every installed model, with absolute paths and whether its files are still on disk, sorted by id. */
export async function listInstalledModels(options: StoreOptions = {}): Promise<InstalledModel[]> {
  const modelsDir = modelsDirOf(options)
  const manifest = await readManifest(modelsDir)
  const models = await Promise.all(manifest.models.map((entry) => toInstalled(entry, modelsDir)))
  return models.sort((a, b) => a.id.localeCompare(b.id))
}

async function toInstalled(entry: ManifestEntry, modelsDir: string): Promise<InstalledModel> {
  const {file, mmproj, ...rest} = entry
  const path = absolute(modelsDir, file)
  const mmprojPath = mmproj ? absolute(modelsDir, mmproj.file) : undefined
  const present = (await sizeOf(path)) === entry.sizeBytes && (!mmproj || (await sizeOf(mmprojPath!)) === mmproj.sizeBytes)
  return {
    ...rest,
    path,
    present,
    ...(mmproj ? {mmproj: {path: mmprojPath!, sizeBytes: mmproj.sizeBytes, sha256: mmproj.sha256, checksumSource: mmproj.checksumSource}} : {}),
  }
}

/** The entry a name designates: its id, a reference pulled to it, or its canonical source. */
function findEntry(manifest: Manifest, name: string): ManifestEntry | undefined {
  return (
    manifest.models.find((entry) => entry.id === name) ??
    manifest.models.find((entry) => entry.refs.includes(name)) ??
    manifest.models.find((entry) => entry.source.kind !== 'file' && entry.source.ref === name)
  )
}

/**
 * Removes installed models: their manifest entries first (so a crash never leaves an entry without its file),
 * then the files, partial downloads and empty directories that no remaining entry uses.
 * Unknown names throw ModelNotFoundError (exit 4) before anything is removed.
 */
export async function removeModels(names: readonly string[], options: StoreOptions = {}): Promise<RemovedModel[]> {
  const modelsDir = modelsDirOf(options)
  const current = await readManifest(modelsDir)
  for (const name of names) {
    if (!findEntry(current, name)) {
      const candidates = current.models.filter((entry) => entry.catalogId === name || entry.id.startsWith(`${name}:`)).map((entry) => entry.id)
      const close = didYouMean(suggestNames(name, current.models.flatMap((entry) => [entry.id, ...entry.refs])))
      throw new ModelNotFoundError(`${name} is not installed`, {
        hint: candidates.length > 0 ? `Installed: ${candidates.join(', ')}; name one of them.` : `${close ? `${close} ` : ''}See what is installed with: jsl-med models`,
      }, 'E_NOT_INSTALLED')
    }
  }

  const removed: ManifestEntry[] = []
  const manifest = await updateManifest(modelsDir, (manifest) => {
    for (const name of names) {
      const entry = findEntry(manifest, name)
      if (!entry) continue // named twice
      removed.push(entry)
      manifest.models = manifest.models.filter((model) => model !== entry)
    }
  })

  const inUse = new Set(manifest.models.flatMap((entry) => (entry.mmproj ? [entry.file, entry.mmproj.file] : [entry.file])))
  const results: RemovedModel[] = []
  for (const entry of removed) {
    const result: RemovedModel = {id: entry.id, deletedFiles: [], freedBytes: 0}
    for (const file of entry.mmproj ? [entry.file, entry.mmproj.file] : [entry.file]) {
      if (inUse.has(file)) continue
      inUse.add(file) // two removed entries may share it: delete it once
      const path = absolute(modelsDir, file)
      const size = await sizeOf(path)
      await rm(path, {force: true})
      await rm(path + PART_SUFFIX, {force: true})
      if (size !== undefined) {
        result.deletedFiles.push(path)
        result.freedBytes += size
      }

      await removeEmptyParents(dirname(path), modelsDir)
    }

    results.push(result)
  }

  return results
}

async function removeEmptyParents(dir: string, root: string): Promise<void> {
  let current = dir
  while (current !== root && relative(root, current) && !relative(root, current).startsWith('..')) {
    const entries = await readdir(current).catch(() => ['?'])
    if (entries.length > 0) return
    await rmdir(current).catch(() => {}) // raced by a new pull into the same directory: keep it
    current = dirname(current)
  }
}

/** An installed model's files, as a task command needs them. */
export interface ResolvedModel {
  /** Absolute path (or the path as given, for a file that is not in the store). */
  path: string
  /** The vision projector installed with it. */
  mmprojPath?: string
  /** The manifest id, when the model came from the store. */
  id?: string
}

/**
 * What `--model` designates: an existing file (as is), an installed model by id, alias or reference, or the
 * installed tier of a catalog model (`medgemma-4b`, `medgemma-4b:q8`; q4, then q8, then q16 when several are).
 * A catalog model or reference that is not installed throws ModelNotFoundError (exit 4) whose hint is the exact
 * `jsl-med pull …` to run. Anything path-like that does not exist is returned as is, for the engine to report.
 */
export async function resolveModel(ref: string, options: StoreOptions = {}): Promise<ResolvedModel> {
  const asFile = await stat(ref).catch(() => undefined)
  if (asFile?.isFile()) return {path: ref}

  const modelsDir = modelsDirOf(options)
  const manifest = await readManifest(modelsDir)
  const catalog = options.catalog ?? builtInCatalog
  const entry = findEntry(manifest, ref)
  if (entry) return checkedPaths(entry, modelsDir)

  const parsed = parseModelRef(ref, {catalog, hfEndpoint: hfEndpoint(options.env ?? process.env)})
  switch (parsed.kind) {
    case 'file': {
      if (asFile?.isDirectory()) throw directoryModelError(ref)
      return {path: ref}
    }

    case 'catalog': {
      const candidates = manifest.models
        .filter((candidate) => candidate.catalogId === parsed.model.id && (!parsed.quant || candidate.quant === parsed.quant))
        .sort((a, b) => rank(a.quant) - rank(b.quant))
      if (candidates.length > 0) return checkedPaths(candidates[0], modelsDir)
      throw notInstalled(ref, parsed.model.userSupplied ? `${parsed.model.userSupplied.note}` : `Run: jsl-med pull ${ref}`)
    }

    case 'unknown': {
      // `models-dir` and `./models-dir` are the same directory, and get the same error.
      if (asFile?.isDirectory()) throw directoryModelError(ref)
      throw unknownModelError(ref, catalog, manifest.models.flatMap((model) => [model.id, ...model.refs]))
    }

    default: {
      throw notInstalled(ref, `Run: jsl-med pull ${ref}`)
    }
  }
}

/** The path of what `--model` designates; see {@link resolveModel}. */
export async function resolveModelPath(ref: string, options: StoreOptions = {}): Promise<string> {
  return (await resolveModel(ref, options)).path
}

function rank(quant: Quant | undefined): number {
  return quant ? QUANT_ORDER.indexOf(quant) : QUANT_ORDER.length
}

function notInstalled(ref: string, hint: string): ModelNotFoundError {
  return new ModelNotFoundError(`Model ${ref} is not installed`, {hint}, 'E_NOT_INSTALLED')
}

async function checkedPaths(entry: ManifestEntry, modelsDir: string): Promise<ResolvedModel> {
  const path = absolute(modelsDir, entry.file)
  if ((await sizeOf(path)) !== entry.sizeBytes) {
    const again = entry.source.kind === 'file' ? `jsl-med pull ${entry.source.ref} --as ${entry.id}` : `jsl-med pull ${entry.source.kind === 'catalog' ? entry.id : entry.source.ref} --force`
    throw new ModelNotFoundError(`The file of installed model ${entry.id} is missing or changed: ${path}`, {hint: `Install it again: ${again}`}, 'E_MODEL_MISSING')
  }

  return {path, id: entry.id, ...(entry.mmproj ? {mmprojPath: absolute(modelsDir, entry.mmproj.file)} : {})}
}

function absolute(modelsDir: string, file: string): string {
  return join(modelsDir, ...file.split('/'))
}

async function sizeOf(path: string): Promise<number | undefined> {
  return (await stat(path).catch(() => undefined))?.size
}
