import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ENV_VARS, hfTokenPath, resolveDirs} from '../../../src/lib/paths/index.js'
import {root} from '../../helpers/spawn-cli.js'

describe('resolveDirs', () => {
  it('follows the XDG defaults under HOME, with the models under the data dir', () => {
    expect(resolveDirs({env: {}, home: '/home/ana', platform: 'linux'})).toEqual({
      dataDir: '/home/ana/.local/share/jsl-med',
      cacheDir: '/home/ana/.cache/jsl-med',
      configDir: '/home/ana/.config/jsl-med',
      modelsDir: '/home/ana/.local/share/jsl-med/models',
    })
  })

  it('honours XDG_*_HOME, then the JSL_MED_*_DIR overrides, then an explicit models dir', () => {
    const xdg = {XDG_DATA_HOME: '/x/data', XDG_CACHE_HOME: '/x/cache', XDG_CONFIG_HOME: '/x/config'}
    expect(resolveDirs({env: xdg, home: '/h', platform: 'linux'})).toEqual({dataDir: '/x/data/jsl-med', cacheDir: '/x/cache/jsl-med', configDir: '/x/config/jsl-med', modelsDir: '/x/data/jsl-med/models'})
    const own = {...xdg, JSL_MED_DATA_DIR: '/d', JSL_MED_CACHE_DIR: '/c', JSL_MED_CONFIG_DIR: '/k'}
    expect(resolveDirs({env: own, home: '/h', platform: 'linux'})).toEqual({dataDir: '/d', cacheDir: '/c', configDir: '/k', modelsDir: '/d/models'})
    expect(resolveDirs({env: {...own, JSL_MED_MODELS_DIR: '/m'}, home: '/h'}).modelsDir).toBe('/m')
    expect(resolveDirs({env: {JSL_MED_MODELS_DIR: '/m'}, home: '/h', modelsDir: '/flag'}).modelsDir).toBe('/flag')
  })

  it('uses ~/Library/Caches on macOS and LOCALAPPDATA on Windows, like oclif', () => {
    expect(resolveDirs({env: {}, home: '/Users/ana', platform: 'darwin'}).cacheDir).toBe('/Users/ana/Library/Caches/jsl-med')
    expect(resolveDirs({env: {LOCALAPPDATA: '/appdata'}, home: '/u', platform: 'win32'}).dataDir).toBe(join('/appdata', 'jsl-med'))
  })

  it('reads the environment at call time, not at import time', () => {
    const before = process.env.JSL_MED_MODELS_DIR
    try {
      process.env.JSL_MED_MODELS_DIR = '/first'
      expect(resolveDirs().modelsDir).toBe('/first')
      process.env.JSL_MED_MODELS_DIR = '/second'
      expect(resolveDirs().modelsDir).toBe('/second')
    } finally {
      if (before === undefined) delete process.env.JSL_MED_MODELS_DIR
      else process.env.JSL_MED_MODELS_DIR = before
    }
  })

  it('makes relative overrides absolute', () => {
    expect(resolveDirs({env: {JSL_MED_MODELS_DIR: 'rel/models'}, home: '/h'}).modelsDir).toBe(join(process.cwd(), 'rel/models'))
  })
})

describe('hfTokenPath', () => {
  it('is HF_TOKEN_PATH, else $HF_HOME/token, else $XDG_CACHE_HOME/huggingface/token, else ~/.cache/huggingface/token', () => {
    expect(hfTokenPath({env: {HF_TOKEN_PATH: '/t', HF_HOME: '/hf'}})).toBe('/t')
    expect(hfTokenPath({env: {HF_HOME: '/hf', XDG_CACHE_HOME: '/c'}})).toBe('/hf/token')
    expect(hfTokenPath({env: {XDG_CACHE_HOME: '/c'}})).toBe('/c/huggingface/token')
    expect(hfTokenPath({env: {}, home: '/home/ana'})).toBe('/home/ana/.cache/huggingface/token')
  })
})

describe('ENV_VARS', () => {
  it('lists each variable once, and the README documents every one', async () => {
    const names = ENV_VARS.map((variable) => variable.name)
    expect(new Set(names).size).toBe(names.length)
    const readme = await readFile(join(root, 'README.md'), 'utf8')
    for (const name of names) expect(readme, `README lacks ${name}`).toContain(`\`${name}\``)
  })
})
