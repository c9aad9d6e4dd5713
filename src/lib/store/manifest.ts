import {randomUUID} from 'node:crypto'
import {mkdir, open, readdir, readFile, rename, unlink} from 'node:fs/promises'
import {join} from 'node:path'

import {ConfigError} from '../errors/index.js'
import {fsError} from './fs-errors.js'
import {acquireLock} from './lock.js'
import type {Manifest} from './types.js'

/** The manifest's file name inside the models directory. */
export const MANIFEST_FILE = 'manifest.json'

/** Reads the manifest; a store that has none yet has an empty one. */
export async function readManifest(modelsDir: string): Promise<Manifest> {
  const path = join(modelsDir, MANIFEST_FILE)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {version: 1, models: []}
    throw fsError(error, path)
  }

  let manifest: Partial<Manifest>
  try {
    manifest = JSON.parse(text) as Partial<Manifest>
  } catch (error) {
    throw new ConfigError(`The model manifest ${path} is not valid JSON`, {
      cause: error,
      hint: `jsl-med only replaces it whole, so it was edited by hand: fix it, or move it away and pull or import the models again.`,
    }, 'E_MANIFEST_CORRUPT')
  }

  if (typeof manifest.version === 'number' && manifest.version > 1) {
    throw new ConfigError(`The model manifest ${path} was written by a newer jsl-med (version ${manifest.version})`, {hint: 'Upgrade jsl-med.'}, 'E_MANIFEST_VERSION')
  }

  if (manifest.version !== 1 || !Array.isArray(manifest.models)) {
    throw new ConfigError(`The model manifest ${path} has an unexpected shape`, {hint: 'Move it away and pull or import the models again.'}, 'E_MANIFEST_CORRUPT')
  }

  return manifest as Manifest
}

/**
 * Writes the manifest whole to a temporary file, flushes it to disk, and renames it over the old one: a crash
 * at any instant leaves either the old or the new manifest, never a mix.
 */
export async function writeManifest(modelsDir: string, manifest: Manifest): Promise<void> {
  const path = join(modelsDir, MANIFEST_FILE)
  const temporary = `${path}.${process.pid}-${randomUUID().slice(0, 8)}.tmp`
  try {
    await mkdir(modelsDir, {recursive: true})
    const handle = await open(temporary, 'w')
    try {
      await handle.writeFile(JSON.stringify(manifest, null, 2) + '\n')
      await handle.sync()
    } finally {
      await handle.close()
    }

    await rename(temporary, path)
  } catch (error) {
    await unlink(temporary).catch(() => {}) // it may never have been created
    throw fsError(error, path)
  }

  await syncDirectory(modelsDir)
}

/**
 * Read-modify-write of the manifest under its own lock, so that two pulls finishing at once both land.
 * Leftover temporary files of crashed writers are removed while the lock is held (no writer is active then).
 */
export async function updateManifest(modelsDir: string, mutate: (manifest: Manifest) => void, options: {signal?: AbortSignal} = {}): Promise<Manifest> {
  await mkdir(modelsDir, {recursive: true}).catch((error: unknown) => {
    throw fsError(error, modelsDir)
  })
  const lock = await acquireLock(join(modelsDir, `${MANIFEST_FILE}.lock`), {signal: options.signal, pollMs: 20})
  try {
    await removeLeftovers(modelsDir)
    const manifest = await readManifest(modelsDir)
    mutate(manifest)
    await writeManifest(modelsDir, manifest)
    return manifest
  } finally {
    await lock.release()
  }
}

async function removeLeftovers(modelsDir: string): Promise<void> {
  const names = await readdir(modelsDir).catch(() => [] as string[])
  await Promise.all(
    names.filter((name) => name.startsWith(`${MANIFEST_FILE}.`) && name.endsWith('.tmp')).map((name) => unlink(join(modelsDir, name)).catch(() => {})), // best effort: garbage only
  )
}

/** Makes a rename durable (POSIX); not supported everywhere (Windows), where the rename is still atomic. */
export async function syncDirectory(path: string): Promise<void> {
  try {
    const handle = await open(path, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // Directory fsync is a durability bonus, not a correctness need; some platforms refuse it.
  }
}
