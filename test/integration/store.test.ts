import {mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {SHAPES, synthesizeModel} from '../../src/lib/gguf/index.js'
import {
  listInstalledModels,
  pullModel,
  readManifest,
  removeModels,
  resolveModel,
  type DownloadProgress,
  type PullOptions,
  type StoreCatalog,
  type StoreCatalogModel,
} from '../../src/lib/store/index.js'
import {failure} from '../helpers/failure.js'
import {sha256, startHfMock, type HfMock} from '../helpers/hf-mock-server.js'

const TOKEN = 'hf_secretTOKEN1234567890abcdef'

let dir: string
let mock: HfMock
let model: Buffer
let model8: Buffer
let projector: Buffer
let catalog: StoreCatalog

async function synth(name: string, seed: number, tensorType: 'F32' | 'Q8_0' = 'F32'): Promise<Buffer> {
  const {path} = await synthesizeModel({path: join(dir, 'src', name), shape: SHAPES.tiny, seed, tensorType})
  return readFile(path)
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jsl-med-store-'))
  model = await synth('tiny-q4.gguf', 1)
  model8 = await synth('tiny-q8.gguf', 2, 'Q8_0')
  projector = await synth('mmproj.gguf', 3)
  mock = await startHfMock({
    token: TOKEN,
    repos: {
      'acme/tiny-GGUF': {
        license: 'apache-2.0',
        files: {'tiny-Q4_K_M.gguf': model, 'tiny-Q8_0.gguf': model8, 'mmproj-tiny-F16.gguf': projector, 'README.md': Buffer.from('# tiny\n')},
      },
      'acme/gated-GGUF': {gated: true, license: 'other', files: {'gated-Q4_K_M.gguf': model}},
      'acme/private-GGUF': {private: true, files: {'p-Q4_K_M.gguf': model}},
    },
  })
  const tiny: StoreCatalogModel = {
    id: 'tiny',
    aliases: ['tiny-chat'],
    name: 'Tiny',
    repo: 'acme/tiny-GGUF',
    revision: 'main',
    license: 'apache-2.0',
    gated: false,
    variants: {
      q4: {file: 'tiny-Q4_K_M.gguf', quantName: 'Q4_K_M', sizeBytes: model.length, sha256: sha256(model), verified: true},
      q8: {file: 'tiny-Q8_0.gguf', quantName: 'Q8_0', sizeBytes: 1e9},
    },
  }
  const models: StoreCatalogModel[] = [
    tiny,
    {...tiny, id: 'tiny-vision', aliases: [], mmproj: {file: 'mmproj-tiny-F16.gguf', quantName: 'F16', sha256: sha256(projector)}},
    {...tiny, id: 'tiny-bad-sha', aliases: [], variants: {q4: {file: 'tiny-Q4_K_M.gguf', quantName: 'Q4_K_M', sha256: 'ab'.repeat(32)}}},
    {...tiny, id: 'tiny-gated', aliases: [], repo: 'acme/gated-GGUF', gated: true, variants: {q4: {file: 'gated-Q4_K_M.gguf', quantName: 'Q4_K_M'}}},
    {...tiny, id: 'licensed', aliases: [], repo: undefined, revision: 'local', variants: {q4: {file: 'licensed-q4.gguf', quantName: 'Q4_K_M', sha256: sha256(model)}}, userSupplied: {note: 'Import your copy with jsl-med pull ./FILE.gguf --as licensed.'}},
  ]
  catalog = {listModels: () => models, findModel: (name) => models.find((m) => m.id === name.toLowerCase() || m.aliases?.includes(name.toLowerCase()))}
})

afterAll(async () => {
  await mock?.close()
  await rm(dir, {recursive: true, force: true})
})

afterEach(() => {
  mock.setFault(undefined)
  mock.setThrottle(undefined)
})

let storeCount = 0
/** A fresh, empty store for each test. */
function store(extra: Partial<PullOptions> = {}): Omit<PullOptions, 'ref'> {
  const modelsDir = join(dir, `store-${++storeCount}`)
  return {dirs: {modelsDir}, catalog, env: {HF_ENDPOINT: mock.endpoint, HOME: dir}, retries: 0, retryDelayMs: 10, ...extra}
}

describe('pullModel against a hub mock on 127.0.0.1', () => {
  it('downloads a catalog model, verifies its catalog sha256 and records it in the manifest', async () => {
    const options = store()
    const before = mock.log.length
    const result = await pullModel({...options, ref: 'tiny'})
    expect(result).toMatchObject({id: 'tiny:q4', sizeBytes: model.length, sha256: sha256(model), verified: true, checksumSource: 'catalog', sourceKind: 'catalog', repo: 'acme/tiny-GGUF', revision: 'main', license: 'apache-2.0', quant: 'q4', quantName: 'Q4_K_M', alreadyInstalled: false, transferredBytes: model.length})
    expect(result.commit).toMatch(/^[\da-f]{40}$/)
    expect(sha256(await readFile(result.path))).toBe(sha256(model))
    const manifest = await readManifest(options.dirs!.modelsDir)
    expect(manifest.models.map((entry) => entry.id)).toEqual(['tiny:q4'])
    const requests = mock.log.slice(before)
    expect(requests.map((r) => `${r.method} ${r.server} ${r.status}`)).toEqual(['HEAD hub 302', 'GET cdn 200'])
    expect(await readdir(join(options.dirs!.modelsDir, 'hf/acme/tiny-GGUF'))).toEqual(['tiny-Q4_K_M.gguf'])

    const again = await pullModel({...options, ref: 'tiny-chat'})
    expect(again).toMatchObject({path: result.path, alreadyInstalled: true, transferredBytes: 0})
    expect(mock.log.length).toBe(before + 2)
  })

  it('resumes a download cut after 40% from the bytes on disk (Range request) and ends with the right sha256', async () => {
    const options = store()
    mock.setThrottle(4_000_000)
    mock.setFault({kind: 'cut', afterFraction: 0.5, times: 1})
    const cut = await failure(pullModel({...options, ref: 'hf:acme/tiny-GGUF/tiny-Q4_K_M.gguf'}))
    expect(cut).toMatchObject({code: 'E_DOWNLOAD_INTERRUPTED', exitCode: 5})
    expect(cut.hint).toMatch(/run the same command again/i)
    const part = join(options.dirs!.modelsDir, 'hf/acme/tiny-GGUF/tiny-Q4_K_M.gguf.part')
    const kept = (await stat(part)).size
    expect(kept / model.length).toBeGreaterThanOrEqual(0.4)
    expect(kept).toBeLessThanOrEqual(Math.floor(model.length * 0.5))
    expect((await readManifest(options.dirs!.modelsDir)).models).toEqual([])

    const before = mock.log.length
    const progress: DownloadProgress[] = []
    const result = await pullModel({...options, ref: 'hf:acme/tiny-GGUF/tiny-Q4_K_M.gguf', onProgress: (p) => progress.push(p)})
    const ranged = mock.log.slice(before).find((entry) => entry.server === 'cdn' && entry.method === 'GET')
    expect(ranged?.range).toBe(`bytes=${kept}-`)
    expect(ranged?.status).toBe(206)
    expect(result).toMatchObject({sha256: sha256(model), verified: true, checksumSource: 'hub', resumedFromBytes: kept, transferredBytes: model.length - kept})
    expect(sha256(await readFile(result.path))).toBe(sha256(model))
    expect(progress.at(-1)).toMatchObject({phase: 'downloading', doneBytes: model.length, totalBytes: model.length, resumedFromBytes: kept})
    await expect(stat(part)).rejects.toThrow()
  })

  it('retries a lost connection by itself, resuming within the same run', async () => {
    const options = store({retries: 2})
    mock.setFault({kind: 'cut', afterFraction: 0.5, times: 1})
    const warnings: string[] = []
    const result = await pullModel({...options, ref: 'tiny', log: (level, message) => level === 'warn' && warnings.push(message)})
    expect(result.sha256).toBe(sha256(model))
    expect(warnings.join('\n')).toMatch(/connection was lost.*retrying/)
    expect(mock.log.filter((entry) => entry.server === 'cdn').at(-1)?.range).toMatch(/^bytes=\d+-$/)
  })

  it('never installs a file whose sha256 is wrong, and exits 5', async () => {
    const options = store()
    mock.setFault({kind: 'corrupt'})
    const corrupt = await failure(pullModel({...options, ref: 'hf:acme/tiny-GGUF:Q4_K_M'}))
    expect(corrupt).toMatchObject({code: 'E_CHECKSUM', exitCode: 5})
    expect(corrupt.hint).toMatch(/nothing was installed/)
    const files = await readdir(join(options.dirs!.modelsDir, 'hf/acme/tiny-GGUF'))
    expect(files.filter((name) => !name.endsWith('.lock'))).toEqual([])
    expect((await readManifest(options.dirs!.modelsDir)).models).toEqual([])

    mock.setFault(undefined)
    const before = mock.log.length
    const wrongCatalog = await failure(pullModel({...options, ref: 'tiny-bad-sha'}))
    expect(wrongCatalog).toMatchObject({code: 'E_CHECKSUM', exitCode: 5})
    expect(mock.log.slice(before).filter((entry) => entry.server === 'cdn')).toEqual([]) // caught from the hub's etag, before the download
    expect(await listInstalledModels(options)).toEqual([])
  })

  it('turns a gated repo into exit 5 with "accept the license … set HF_TOKEN", and never shows the token', async () => {
    const anonymous = await failure(pullModel({...store(), ref: 'tiny-gated'}))
    expect(anonymous).toMatchObject({code: 'E_GATED', exitCode: 5})
    expect(anonymous.hint).toContain(`accept the license at ${mock.endpoint}/acme/gated-GGUF`.replace('accept', 'Accept'))
    expect(anonymous.hint).toContain('HF_TOKEN')

    const lines: string[] = []
    const wrongToken = await failure(pullModel({...store(), ref: 'hf:acme/gated-GGUF:Q4_K_M', env: {HF_ENDPOINT: mock.endpoint, HF_TOKEN: `${TOKEN}x`}, log: (_level, message) => lines.push(message)}))
    expect(wrongToken).toMatchObject({code: 'E_GATED', exitCode: 5})
    expect(mock.log.at(-1)).toMatchObject({status: 403, authorization: `Bearer ${TOKEN}x`})
    for (const text of [wrongToken.message, wrongToken.hint, JSON.stringify(wrongToken.toJSON()), String(wrongToken.stack), ...lines]) expect(text).not.toContain(TOKEN)

    const tokenFile = join(dir, 'hf-home', 'token')
    await rm(join(dir, 'hf-home'), {recursive: true, force: true})
    await import('node:fs/promises').then(({mkdir}) => mkdir(join(dir, 'hf-home'), {recursive: true}))
    await writeFile(tokenFile, `${TOKEN}\n`)
    const before = mock.log.length
    const result = await pullModel({...store(), ref: 'tiny-gated', env: {HF_ENDPOINT: mock.endpoint, HF_HOME: join(dir, 'hf-home')}})
    expect(result.sha256).toBe(sha256(model))
    const used = mock.log.slice(before)
    expect(used.filter((entry) => entry.server === 'hub').every((entry) => entry.authorization === `Bearer ${TOKEN}`)).toBe(true)
    expect(used.filter((entry) => entry.server === 'cdn').every((entry) => entry.authorization === undefined)).toBe(true) // the token stays on the hub's origin
  })

  it('lets two concurrent pulls of the same file end with one valid file, downloaded once', async () => {
    const options = store()
    mock.setThrottle(2_000_000)
    const before = mock.log.length
    const waits: string[] = []
    const [first, second] = await Promise.all([
      pullModel({...options, ref: 'tiny'}),
      pullModel({...options, ref: 'tiny', log: (_level, message) => waits.push(message)}),
    ])
    expect(first.path).toBe(second.path)
    expect(sha256(await readFile(first.path))).toBe(sha256(model))
    expect([first.alreadyInstalled, second.alreadyInstalled].sort()).toEqual([false, true])
    expect(mock.log.slice(before).filter((entry) => entry.server === 'cdn' && entry.method === 'GET')).toHaveLength(1)
    expect((await readManifest(options.dirs!.modelsDir)).models).toHaveLength(1)
    const leftovers = (await readdir(join(options.dirs!.modelsDir, 'hf/acme/tiny-GGUF'))).filter((name) => name !== 'tiny-Q4_K_M.gguf')
    expect(leftovers).toEqual([])
  })

  it('--offline with the model absent fails with exit 4 and sends no request', async () => {
    const before = mock.log.length
    for (const ref of ['tiny', 'hf:acme/tiny-GGUF:Q4_K_M', `${mock.endpoint}/acme/tiny-GGUF/resolve/main/tiny-Q8_0.gguf`]) {
      const error = await failure(pullModel({...store(), ref, offline: true}))
      expect(error).toMatchObject({code: 'E_OFFLINE', exitCode: 4})
      expect(error.hint).toContain(`jsl-med pull ${ref}`)
    }

    const viaEnv = await failure(pullModel({...store(), ref: 'tiny', env: {HF_ENDPOINT: mock.endpoint, HF_HUB_OFFLINE: '1'}}))
    expect(viaEnv.exitCode).toBe(4)
    expect(mock.log.length).toBe(before)

    const options = store()
    await pullModel({...options, ref: 'tiny'})
    const after = mock.log.length
    expect((await pullModel({...options, ref: 'tiny', offline: true})).alreadyInstalled).toBe(true)
    expect(mock.log.length).toBe(after)
  })

  it('resolves hf:owner/repo:TAG from the tree API (sha256 from lfs.oid) and brings the mmproj along', async () => {
    const options = store()
    const result = await pullModel({...options, ref: 'hf:acme/tiny-GGUF:Q8_0'})
    expect(result).toMatchObject({id: 'hf:acme/tiny-GGUF/tiny-Q8_0.gguf', quant: 'q8', quantName: 'Q8_0', sha256: sha256(model8), checksumSource: 'hub', license: 'apache-2.0', sourceKind: 'hf'})
    expect(result.mmproj).toMatchObject({sha256: sha256(projector), verified: true})
    expect(sha256(await readFile(result.mmproj!.path))).toBe(sha256(projector))
    expect(mock.requests('/api/models/acme/tiny-GGUF/tree/main').length).toBeGreaterThan(0)

    const byRef = await resolveModel('hf:acme/tiny-GGUF:Q8_0', options)
    expect(byRef).toEqual({path: result.path, id: result.id, mmprojPath: result.mmproj!.path})
    expect((await pullModel({...options, ref: 'hf:acme/tiny-GGUF:q8', offline: true})).alreadyInstalled).toBe(true)

    const missing = await failure(pullModel({...options, ref: 'hf:acme/tiny-GGUF:Q2_K'}))
    expect(missing).toMatchObject({code: 'E_QUANT_NOT_FOUND', exitCode: 4})
    expect(missing.hint).toContain('Q4_K_M')
  })

  it('--quant auto takes the advisor\'s tier, and then any installed tier without asking again', async () => {
    const options = store()
    const asked: string[][] = []
    const chooseQuant = async (_model: StoreCatalogModel, available: Array<'q4' | 'q8' | 'q16'>) => {
      asked.push(available)
      return {quant: 'q8' as const, reason: 'fits in RAM'}
    }

    const infos: string[] = []
    const result = await pullModel({...options, ref: 'tiny', chooseQuant, log: (level, message) => level === 'info' && infos.push(message)})
    expect(result).toMatchObject({id: 'tiny:q8', quant: 'q8', sha256: sha256(model8), checksumSource: 'hub'})
    expect(asked).toEqual([['q4', 'q8']])
    expect(infos).toContain('--quant auto: q8 (fits in RAM)')
    expect(await pullModel({...options, ref: 'tiny', chooseQuant, offline: true})).toMatchObject({id: 'tiny:q8', alreadyInstalled: true})
    expect(asked).toHaveLength(1)
    expect(await resolveModel('tiny', options)).toMatchObject({id: 'tiny:q8'})
    expect(await failure(pullModel({...options, ref: 'tiny', quant: 'q16'}))).toMatchObject({code: 'E_QUANT_NOT_AVAILABLE', exitCode: 4})
  })

  it('downloads a catalog vision model with its mmproj, each checked against the catalog', async () => {
    const options = store()
    const result = await pullModel({...options, ref: 'tiny-vision'})
    expect(result.mmproj).toMatchObject({sha256: sha256(projector), verified: true})
    const [installed] = await listInstalledModels(options)
    expect(installed).toMatchObject({id: 'tiny-vision:q4', present: true, mmproj: {path: result.mmproj!.path}})
  })

  it('refuses a download that cannot fit on the disk before fetching a byte (exit 6)', async () => {
    mock.setFault({kind: 'huge'})
    const before = mock.log.length
    const error = await failure(pullModel({...store(), ref: 'hf:acme/tiny-GGUF/tiny-Q4_K_M.gguf'}))
    expect(error).toMatchObject({code: 'E_DISK_FULL', exitCode: 6})
    expect(mock.log.slice(before).filter((entry) => entry.server === 'cdn')).toEqual([])
  })

  it('starts over when the server ignores Range, and still verifies', async () => {
    const options = store()
    mock.setFault({kind: 'cut', afterFraction: 0.3, times: 1})
    await failure(pullModel({...options, ref: 'tiny'}))
    mock.setFault({kind: 'ignore-range'})
    const warnings: string[] = []
    const result = await pullModel({...options, ref: 'tiny', log: (level, message) => level === 'warn' && warnings.push(message)})
    expect(result.sha256).toBe(sha256(model))
    expect(result.resumedFromBytes).toBe(0)
    expect(warnings.join('\n')).toMatch(/cannot resume.*starting over/)
  })

  it('retries 5xx answers and maps 404 and missing repos to exit 4', async () => {
    mock.setFault({kind: 'status', status: 503, times: 1})
    expect((await pullModel({...store({retries: 1}), ref: 'tiny'})).sha256).toBe(sha256(model))
    mock.setFault({kind: 'status', status: 503})
    expect(await failure(pullModel({...store({retries: 1}), ref: 'tiny'}))).toMatchObject({code: 'E_DOWNLOAD_INTERRUPTED', exitCode: 5})
    mock.setFault(undefined)
    expect(await failure(pullModel({...store(), ref: 'hf:acme/tiny-GGUF/nope.gguf'}))).toMatchObject({code: 'E_FILE_NOT_FOUND', exitCode: 4})
    expect(await failure(pullModel({...store(), ref: 'hf:acme/missing-GGUF:Q4_K_M'}))).toMatchObject({code: 'E_REPO_NOT_FOUND', exitCode: 4})
    expect(await failure(pullModel({...store(), ref: 'hf:acme/private-GGUF/p-Q4_K_M.gguf'}))).toMatchObject({code: 'E_REPO_NOT_FOUND', exitCode: 4})
    const before = mock.log.length
    const licensed = await failure(pullModel({...store(), ref: 'licensed', offline: true}))
    expect(licensed).toMatchObject({code: 'E_NOT_DOWNLOADABLE', exitCode: 4, hint: 'Import your copy with jsl-med pull ./FILE.gguf --as licensed.'})
    expect(mock.log.length).toBe(before)
    expect(await failure(pullModel({...store(), ref: 'no-such-model'}))).toMatchObject({code: 'E_UNKNOWN_MODEL', exitCode: 4})
  })

  it('downloads a plain URL (following redirects) and records the computed sha256', async () => {
    const options = store()
    const url = `${mock.cdnOrigin}/blobs/${sha256(model8)}`
    const warnings: string[] = []
    const result = await pullModel({...options, ref: url, as: 'tiny8', log: (level, message) => level === 'warn' && warnings.push(message)})
    expect(result).toMatchObject({id: 'tiny8', sha256: sha256(model8), verified: false, checksumSource: 'computed', sourceKind: 'url', source: url})
    expect(warnings.join('\n')).toMatch(/no published sha256/)
    expect(await resolveModel('tiny8', options)).toMatchObject({path: result.path})
  })

  it('is interrupted by its AbortSignal, keeping the partial file for the next run', async () => {
    const options = store()
    mock.setThrottle(300_000)
    const controller = new AbortController()
    const pending = pullModel({...options, ref: 'tiny', signal: controller.signal, onProgress: (p) => p.doneBytes > 100_000 && controller.abort()})
    expect(await failure(pending)).toMatchObject({code: 'E_INTERRUPTED', exitCode: 130})
    const part = join(options.dirs!.modelsDir, 'hf/acme/tiny-GGUF/tiny-Q4_K_M.gguf.part')
    expect((await stat(part)).size).toBeGreaterThan(100_000)
    await expect(stat(`${part.replace(/\.part$/, '')}.lock`)).rejects.toThrow()
    mock.setThrottle(undefined)
    expect((await pullModel({...options, ref: 'tiny'})).resumedFromBytes).toBeGreaterThan(100_000)
  })
})

describe('local imports', () => {
  it('refuses a text file renamed .gguf, before copying anything', async () => {
    const options = store()
    const fake = join(dir, 'notes.gguf')
    await writeFile(fake, 'this is not a model\n'.repeat(50))
    const error = await failure(pullModel({...options, ref: fake, as: 'fake'}))
    expect(error).toMatchObject({code: 'E_MODEL_INVALID', exitCode: 7})
    await expect(readdir(options.dirs!.modelsDir)).rejects.toThrow()
  })

  it('copies a valid GGUF in, verifies it against the catalog when --as names a catalog model, and brings --mmproj', async () => {
    const options = store()
    const source = join(dir, 'src', 'tiny-q4.gguf')
    const result = await pullModel({...options, ref: source, as: 'licensed', quant: 'q4', mmproj: join(dir, 'src', 'mmproj.gguf')})
    expect(result).toMatchObject({id: 'licensed:q4', catalogId: 'licensed', quant: 'q4', sha256: sha256(model), verified: true, checksumSource: 'catalog', sourceKind: 'file', source})
    expect(sha256(await readFile(result.path))).toBe(sha256(model))
    expect(sha256(await readFile(result.mmproj!.path))).toBe(sha256(projector))
    expect(await resolveModel('licensed', options)).toEqual({path: result.path, id: 'licensed:q4', mmprojPath: result.mmproj!.path})

    expect(await pullModel({...options, ref: 'licensed', offline: true})).toMatchObject({id: 'licensed:q4', alreadyInstalled: true})
    const wrong = await failure(pullModel({...options, ref: join(dir, 'src', 'tiny-q8.gguf'), as: 'licensed:q4'}))
    expect(wrong).toMatchObject({code: 'E_CHECKSUM', exitCode: 5})
  })

  it('names an import after the file when --as is absent', async () => {
    const options = store()
    const result = await pullModel({...options, ref: join(dir, 'src', 'tiny-q8.gguf')})
    expect(result).toMatchObject({id: 'tiny-q8', verified: false, checksumSource: 'computed'})
    expect((await resolveModel('tiny-q8', options)).path).toBe(result.path)
  })
})

describe('resolveModel and removeModels', () => {
  it('says which pull to run for a catalog model that is not installed, and passes paths through', async () => {
    const options = store()
    const notInstalled = await failure(resolveModel('tiny', options))
    expect(notInstalled).toMatchObject({code: 'E_NOT_INSTALLED', exitCode: 4, hint: 'Run: jsl-med pull tiny'})
    expect((await failure(resolveModel('tiny:q8', options))).hint).toBe('Run: jsl-med pull tiny:q8')
    expect((await failure(resolveModel('hf:acme/tiny-GGUF:Q4_K_M', options))).hint).toBe('Run: jsl-med pull hf:acme/tiny-GGUF:Q4_K_M')
    expect(await resolveModel('./some/where.gguf', options)).toEqual({path: './some/where.gguf'})
    expect((await failure(resolveModel('nonsense', options))).code).toBe('E_UNKNOWN_MODEL')
  })

  it('removes a model, its files and empty directories, but keeps a file another entry uses', async () => {
    const options = store()
    const pulled = await pullModel({...options, ref: 'tiny'})
    await pullModel({...options, ref: 'tiny', as: 'my-tiny'})
    expect((await listInstalledModels(options)).map((m) => m.id)).toEqual(['my-tiny', 'tiny:q4'])

    expect(await removeModels(['tiny:q4'], options)).toEqual([{id: 'tiny:q4', deletedFiles: [], freedBytes: 0}])
    expect((await stat(pulled.path)).size).toBe(model.length)
    expect(await removeModels(['my-tiny'], options)).toEqual([{id: 'my-tiny', deletedFiles: [pulled.path], freedBytes: model.length}])
    await expect(stat(pulled.path)).rejects.toThrow()
    expect(await readdir(options.dirs!.modelsDir)).toEqual(['manifest.json'])
    expect(await failure(removeModels(['tiny:q4'], options))).toMatchObject({code: 'E_NOT_INSTALLED', exitCode: 4})
  })
})
