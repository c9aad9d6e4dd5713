import {afterEach, describe, expect, inject, it} from 'vitest'

import {findNativeLlamaBuild, LLAMA_BINARY_ENV, type LlamaBinaryStatus} from '../../src/lib/engine/index.js'
import {loadLlamaModel} from '../../src/lib/engine/llama/loader.js'
import {runCli} from '../helpers/spawn-cli.js'

const modelPath = inject('tinyModelPath')
const native = await findNativeLlamaBuild()
// What build:native measured of both binaries, which hw reports as it is.
const comparison = native.comparison ? {comparison: native.comparison} : {}
const before = process.env[LLAMA_BINARY_ENV]

afterEach(() => {
  if (before === undefined) delete process.env[LLAMA_BINARY_ENV]
  else process.env[LLAMA_BINARY_ENV] = before
})

async function loadedBinary(choice: string): Promise<unknown> {
  process.env[LLAMA_BINARY_ENV] = choice
  const loaded = await loadLlamaModel({modelPath, gpu: 'off', threads: 1})
  try {
    return loaded.binary
  } finally {
    await loaded.model.dispose()
    await loaded.llama.dispose()
  }
}

/** The binary `hw --load-backend` reports, from llama.cpp itself, in a process of its own. */
async function hwBinary(choice: string): Promise<LlamaBinaryStatus | null | undefined> {
  const {code, stdout, stderr} = await runCli(['hw', '--json', '--load-backend', '--model', 'qwen2.5-0.5b'], '', {[LLAMA_BINARY_ENV]: choice})
  expect(code, stderr).toBe(0)
  return (JSON.parse(stdout) as {hardware: {backend: {binary?: LlamaBinaryStatus | null}}}).hardware.backend.binary
}

describe('JSL_MED_LLAMA_BINARY picks the llama.cpp binary (real node-llama-cpp)', () => {
  it('prebuilt: node-llama-cpp prebuilt binary without OpenMP; later auto loads in the same process keep to it', async () => {
    expect(await loadedBinary('prebuilt')).toEqual({kind: 'prebuilt', openmp: false})
    // A native addon loaded now would link the prebuilt's libggml (same library names) and run its code.
    expect(await loadedBinary('auto')).toEqual({kind: 'prebuilt', openmp: false})
  })

  it('prebuilt in hw, as llama.cpp reports it', async () => {
    expect(await hwBinary('prebuilt')).toEqual({kind: 'prebuilt', openmp: false, choice: 'prebuilt', nativeBuilt: native.built, ...comparison, checkedBy: 'llama.cpp'})
  })

  it.skipIf(native.built)('native without a native build: exit 7 with the build command as hint', async () => {
    await expect(loadedBinary('native')).rejects.toMatchObject({code: 'E_NO_NATIVE_BINARY', exitCode: 7, hint: expect.stringContaining('npm run build:native')})
  })
})

describe.skipIf(!native.built)('the native build of npm run build:native', () => {
  it('runs with OpenMP under native, and under auto (the default) unless build:native measured the prebuilt faster', async () => {
    expect(await hwBinary('native')).toEqual({kind: 'native', openmp: true, choice: 'native', nativeBuilt: true, ...comparison, checkedBy: 'llama.cpp'})
    const auto = native.comparison?.preferred === 'prebuilt' ? {kind: 'prebuilt', openmp: false} : {kind: 'native', openmp: true}
    expect(await hwBinary('auto')).toEqual({...auto, choice: 'auto', nativeBuilt: true, ...comparison, checkedBy: 'llama.cpp'})
  })
})
