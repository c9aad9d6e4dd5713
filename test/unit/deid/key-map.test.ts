import {mkdtemp, readFile, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {DEID_KEY_ENV, openReidentificationMap, resolveDeidKey} from '../../../src/lib/use-cases/index.js'

describe('resolveDeidKey', () => {
  it('refuses hash mode without a key: a usage error with a hint', async () => {
    const error = await resolveDeidKey({mode: 'hash', env: {}}).catch((error_: unknown) => error_)
    expect(error).toMatchObject({code: 'E_NO_KEY', exitCode: 2, hint: expect.stringContaining('--key-file')})
  })

  it('takes the key file over the environment, the environment over a random key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jsl-med-deid-key-'))
    const file = join(dir, 'deid.key')
    await writeFile(file, 'file key of at least sixteen\n')
    const env = {[DEID_KEY_ENV]: 'environment key, sixteen or more'}
    expect(await resolveDeidKey({mode: 'hash', keyFile: file, env})).toEqual({key: Buffer.from('file key of at least sixteen'), source: 'file'})
    expect(await resolveDeidKey({mode: 'hash', env})).toEqual({key: Buffer.from(env[DEID_KEY_ENV]), source: 'env'})
    const random = await resolveDeidKey({mode: 'surrogate', env: {}})
    expect(random.source).toBe('random')
    expect(random.key).toHaveLength(32)
  })

  it('refuses a short key and an unreadable key file, without quoting the key', async () => {
    const error = await resolveDeidKey({mode: 'mask', env: {[DEID_KEY_ENV]: 'short-secret'}}).catch((error_: unknown) => error_)
    expect(error).toMatchObject({code: 'E_KEY_SHORT', exitCode: 2})
    expect(JSON.stringify(error)).not.toContain('short-secret')
    await expect(resolveDeidKey({mode: 'mask', keyFile: '/nonexistent/deid.key'})).rejects.toMatchObject({code: 'E_KEY_FILE', exitCode: 3})
  })
})

describe('openReidentificationMap', () => {
  it('writes one line per replacement with mode 0600, also over an existing file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jsl-med-deid-map-'))
    const path = join(dir, 'map.ndjson')
    await writeFile(path, 'old\n', {mode: 0o644})
    const map = await openReidentificationMap(path)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    map.write({ref: {line: 1, id: 'a'}, patient: 'P', replacements: [{category: 'name', start: 0, end: 3, original: 'Ana', replacement: 'Eva'}]})
    map.write({ref: {line: 2}, replacements: [{category: 'mrn', start: 5, end: 12, original: '7734921', replacement: '1203948'}]})
    await map.close()
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n').map((line) => JSON.parse(line))
    expect(lines).toEqual([
      {id: 'a', patient: 'P', category: 'name', start: 0, end: 3, original: 'Ana', replacement: 'Eva'},
      {line: 2, category: 'mrn', start: 5, end: 12, original: '7734921', replacement: '1203948'},
    ])
    const appended = await openReidentificationMap(path, {append: true})
    await appended.close()
    expect((await readFile(path, 'utf8')).trimEnd().split('\n')).toHaveLength(2)
  })
})
