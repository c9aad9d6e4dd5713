import {mkdtemp, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ModelNotFoundError} from '../../../src/lib/errors/index.js'
import {SHAPES, synthesizeModel} from '../../../src/lib/gguf/index.js'
import {builtInCatalog, listInstalledModels, pullModel, quantNameOf, readManifest, resolveModel, writeManifest, type StoreCatalog, type StoreCatalogModel} from '../../../src/lib/store/index.js'

const tinyCatalogModel = {
  id: 'tinycat',
  aliases: ['tiny-cat'],
  name: 'Tiny catalog model',
  revision: 'main',
  license: 'apache-2.0',
  variants: {q4: {file: 'tinycat-Q4_0.gguf', quantName: 'Q4_0', sizeBytes: 1}},
} as unknown as StoreCatalogModel
const catalog: StoreCatalog = {
  listModels: () => [...builtInCatalog.listModels(), tinyCatalogModel],
  findModel: (name) => (['tinycat', 'tiny-cat'].includes(name.toLowerCase()) ? tinyCatalogModel : builtInCatalog.findModel(name)),
}

describe('one resolver for --model (store)', () => {
  let dir: string
  let f32: string
  let q4: string
  let options: {dirs: {modelsDir: string}; catalog: StoreCatalog; env: NodeJS.ProcessEnv}
  const reason = async (ref: string): Promise<ModelNotFoundError> => resolveModel(ref, options).then(() => expect.fail(`${ref} resolved`), (error: ModelNotFoundError) => error)

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-resolve-'))
    f32 = (await synthesizeModel({path: join(dir, 'tiny.gguf'), shape: SHAPES.tiny, seed: 3})).path
    q4 = (await synthesizeModel({path: join(dir, 'small.gguf'), shape: SHAPES.tiny, tensorType: 'Q4_0', seed: 3})).path
    options = {dirs: {modelsDir: join(dir, 'models')}, catalog, env: {}}
    await pullModel({...options, ref: f32, as: 'tiny'})
    await pullModel({...options, ref: q4})
  })
  afterAll(() => rm(dir, {recursive: true, force: true}))

  it('takes a path as is, an installed id, and an installed file under its store path', async () => {
    expect(await resolveModel(f32, options)).toEqual({path: f32})
    const tiny = await resolveModel('tiny', options)
    expect(tiny).toMatchObject({id: 'tiny', path: join(dir, 'models/local/tiny/tiny.gguf')})
    expect(await resolveModel('small', options)).toMatchObject({id: 'small'})
  })

  it('records the quantization from the GGUF header when the file name names none (F32, Q4_0)', async () => {
    const models = await listInstalledModels(options)
    expect(models.map((model) => [model.id, model.quantName, model.quant])).toEqual([
      ['small', 'Q4_0', 'q4'],
      ['tiny', 'F32', undefined],
    ])
  })

  it('stores one file imported under a second name once: the second name shares it', async () => {
    const logs: string[] = []
    const again = await pullModel({...options, ref: f32, as: 'tiny-two', log: (_level, message) => logs.push(message)})
    expect(again).toMatchObject({id: 'tiny-two', alreadyInstalled: true, transferredBytes: 0, path: join(dir, 'models/local/tiny/tiny.gguf')})
    expect(logs.join('\n')).toMatch(/file of installed model tiny \(same sha256\): tiny-two is recorded as another name/)
    expect(await readdir(join(dir, 'models/local'))).toEqual(['small', 'tiny'])
    expect((await resolveModel('tiny-two', options)).path).toBe((await resolveModel('tiny', options)).path)
  })

  it('resolves a catalog alias to its installed tier, and an hf: reference pulled to an entry', async () => {
    await pullModel({...options, ref: q4, as: 'tinycat:q4'})
    expect(await resolveModel('tiny-cat', options)).toMatchObject({id: 'tinycat:q4', path: join(dir, 'models/local/small/small.gguf')})
    expect(await resolveModel('tinycat:q4', options)).toMatchObject({id: 'tinycat:q4'})

    const manifest = await readManifest(options.dirs.modelsDir)
    const small = manifest.models.find((entry) => entry.id === 'small')!
    small.refs = ['hf:acme/small-GGUF:Q4_0']
    await writeManifest(options.dirs.modelsDir, manifest)
    expect(await resolveModel('hf:acme/small-GGUF:Q4_0', options)).toMatchObject({id: 'small'})
  })

  it('says what to pull for a catalog model or reference that is not installed', async () => {
    expect(await reason('qwen3-1.7b')).toMatchObject({code: 'E_NOT_INSTALLED', exitCode: 4, hint: 'Run: jsl-med pull qwen3-1.7b'})
    expect(await reason('hf:acme/other-GGUF:Q4_K_M')).toMatchObject({code: 'E_NOT_INSTALLED', hint: 'Run: jsl-med pull hf:acme/other-GGUF:Q4_K_M'})
  })

  it('suggests the closest catalog id or installed name for a typo, instead of listing the catalog', async () => {
    const typo = await reason('qwen3-17b')
    expect(typo).toMatchObject({code: 'E_UNKNOWN_MODEL', exitCode: 4})
    expect(typo.hint).toMatch(/^Did you mean qwen3-1\.7b\? /)
    expect(typo.hint).not.toContain('Catalog models:')
    expect((await reason('tiyn')).hint).toMatch(/^Did you mean tiny\? /)
    expect((await reason('qwen3-17b:q8')).hint).toMatch(/^Did you mean qwen3-1\.7b:q8\? /)
    expect((await reason('llama-70b-chat')).hint).toMatch(/^Catalog models: medgemma-4b, /)
  })
})

describe('quantNameOf', () => {
  it('reads the quant name between underscores too, as some uploaders write it', () => {
    expect(quantNameOf('other_Q4_K_M.gguf')).toBe('Q4_K_M')
    expect(quantNameOf('sub/dir/other.q8_0.gguf')).toBe('Q8_0')
    expect(quantNameOf('qwen3_1.7b_f16.gguf')).toBe('F16')
    expect(quantNameOf('other.gguf')).toBeUndefined()
  })
})
