import {mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {MANIFEST_FILE, readManifest, writeManifest, type Manifest, type ManifestEntry} from '../../../src/lib/store/index.js'
import {updateManifest} from '../../../src/lib/store/manifest.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jsl-med-manifest-'))
})
afterAll(() => rm(dir, {recursive: true, force: true}))

const entry = (id: string): ManifestEntry => ({
  id,
  refs: [],
  file: `local/${id}/m.gguf`,
  sizeBytes: 1,
  sha256: '0'.repeat(64),
  checksumSource: 'computed',
  source: {kind: 'file', ref: `/src/${id}.gguf`},
  installedAt: '2026-01-01T00:00:00.000Z',
})

describe('the manifest', () => {
  it('is empty when the store does not exist yet, and round-trips', async () => {
    const store = join(dir, 'a')
    expect(await readManifest(store)).toEqual({version: 1, models: []})
    const manifest: Manifest = {version: 1, models: [entry('one')]}
    await writeManifest(store, manifest)
    expect(await readManifest(store)).toEqual(manifest)
    expect(await readdir(store)).toEqual([MANIFEST_FILE])
  })

  it('survives a crash mid-write: a torn temporary file never replaces it, and the next write cleans it up', async () => {
    const store = join(dir, 'b')
    const good: Manifest = {version: 1, models: [entry('one'), entry('two')]}
    await writeManifest(store, good)
    // What a writer killed halfway through leaves: half a temporary file next to the intact manifest.
    const text = JSON.stringify({version: 1, models: [entry('one'), entry('two'), entry('three')]})
    await writeFile(join(store, `${MANIFEST_FILE}.4242-deadbeef.tmp`), text.slice(0, text.length / 2))
    expect(await readManifest(store)).toEqual(good)

    await updateManifest(store, (manifest) => {
      manifest.models.push(entry('three'))
    })
    expect((await readManifest(store)).models.map((model) => model.id)).toEqual(['one', 'two', 'three'])
    expect(await readdir(store)).toEqual([MANIFEST_FILE])
  })

  it('keeps every update when many writers update it at once', async () => {
    const store = join(dir, 'c')
    await Promise.all(
      Array.from({length: 12}, (_, index) =>
        updateManifest(store, (manifest) => {
          manifest.models.push(entry(`m${index}`))
        }),
      ),
    )
    expect((await readManifest(store)).models).toHaveLength(12)
  })

  it('refuses a manifest that was edited into invalid JSON or written by a newer version (exit 3)', async () => {
    const store = join(dir, 'd')
    await writeManifest(store, {version: 1, models: []})
    await writeFile(join(store, MANIFEST_FILE), '{"version": 1, "models": [')
    await expect(readManifest(store)).rejects.toMatchObject({code: 'E_MANIFEST_CORRUPT', exitCode: 3})
    await writeFile(join(store, MANIFEST_FILE), '{"version": 2, "models": []}')
    await expect(readManifest(store)).rejects.toMatchObject({code: 'E_MANIFEST_VERSION', exitCode: 3})
    expect(await readFile(join(store, MANIFEST_FILE), 'utf8')).toContain('"version": 2')
  })
})
