import {spawn} from 'node:child_process'
import {mkdir, mkdtemp, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {MANIFEST_FILE, readManifest} from '../../src/lib/store/index.js'
import {root} from '../helpers/spawn-cli.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jsl-med-crash-'))
})
afterAll(() => rm(dir, {recursive: true, force: true}))

// A writer that rewrites a large manifest again and again, printing each generation once it is written. Its disk
// is made slow (FileHandle.writeFile writes 4 KiB pieces with a pause between them), so that a kill lands in the
// middle of a write: a writer that wrote the manifest in place would leave it torn.
const WRITER = `
import {open} from 'node:fs/promises'
import {setTimeout as sleep} from 'node:timers/promises'
const probe = await open(process.argv[1] + '.probe', 'w')
const FileHandle = Object.getPrototypeOf(probe)
await probe.close()
FileHandle.writeFile = async function (data) {
  const bytes = Buffer.from(data)
  for (let offset = 0; offset < bytes.length; offset += 4096) {
    await this.write(bytes.subarray(offset, offset + 4096))
    await sleep(1)
  }
}
const {writeManifest} = await import(${JSON.stringify(join(root, 'src/lib/store/index.ts'))})
const dir = process.argv[1]
const entry = (i) => ({id: 'model-' + i, refs: [], file: 'local/m' + i + '/m.gguf', sizeBytes: i, sha256: 'a'.repeat(64), checksumSource: 'computed', source: {kind: 'file', ref: '/x/' + 'y'.repeat(400)}, installedAt: new Date().toISOString()})
for (let generation = 1; ; generation++) {
  await writeManifest(dir, {version: 1, models: Array.from({length: 300 + generation}, (_, i) => entry(i))})
  process.stdout.write(generation + '\\n')
}
`

/** Starts the writer, lets it write `generations` manifests, then kills it with SIGKILL `delayMs` into the next write. */
function killMidWrite(store: string, generations: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', WRITER, store], {cwd: root, stdio: ['ignore', 'pipe', 'inherit']})
    let last = 0
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      last = Number(text.trim().split('\n').at(-1))
      if (last >= generations && !child.killed) setTimeout(() => child.kill('SIGKILL'), delayMs)
    })
    child.on('error', reject)
    child.on('exit', () => resolve(last))
  })
}

describe('the manifest under SIGKILL', () => {
  it('is always a whole manifest, old or new, whenever the writer is killed (write-then-rename)', async () => {
    for (const [generations, delayMs] of [[1, 5], [2, 20], [3, 35]]) {
      const store = join(dir, `g${generations}`)
      await mkdir(store, {recursive: true})
      const last = await killMidWrite(store, generations, delayMs)
      const manifest = await readManifest(store) // throws E_MANIFEST_CORRUPT on a torn file
      const generation = manifest.models.length - 300
      // The kill lands after the reported generation, possibly after one or two more renames.
      expect(generation).toBeGreaterThanOrEqual(last)
      expect(manifest.models.at(-1)?.id).toBe(`model-${manifest.models.length - 1}`)
      const names = await readdir(store)
      expect(names).toContain(MANIFEST_FILE)
      expect(names.every((name) => name === MANIFEST_FILE || /^manifest\.json\.\d+-[\da-f]+\.tmp$/.test(name))).toBe(true)
      expect(names.some((name) => name.endsWith('.tmp')), 'the kill should land mid-write').toBe(true)
    }
  })
})
