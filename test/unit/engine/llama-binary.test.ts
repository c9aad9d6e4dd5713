import {access} from 'node:fs/promises'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {
  describeLlamaBinary,
  findNativeLlamaBuild,
  inspectLlamaBinary,
  LLAMA_BINARY_ENV,
  llamaBinaryOptions,
  preferredBinary,
  readLlamaBinaryChoice,
} from '../../../src/lib/engine/index.js'
import {fingerprintHardware} from '../../../src/lib/bench/index.js'
import {AppError} from '../../../src/lib/errors/index.js'
import {ENV_VARS} from '../../../src/lib/paths/index.js'
import {loadSchema, validate} from '../advisor/json-schema.js'

describe('JSL_MED_LLAMA_BINARY → getLlama options', () => {
  it('reads auto when unset or empty, any case of the three values, and rejects others with exit 3', () => {
    expect(readLlamaBinaryChoice({})).toBe('auto')
    expect(readLlamaBinaryChoice({[LLAMA_BINARY_ENV]: ''})).toBe('auto')
    expect(readLlamaBinaryChoice({[LLAMA_BINARY_ENV]: ' Native '})).toBe('native')
    expect(readLlamaBinaryChoice({[LLAMA_BINARY_ENV]: 'PREBUILT'})).toBe('prebuilt')
    let error: unknown
    try {
      readLlamaBinaryChoice({[LLAMA_BINARY_ENV]: 'fast'})
    } catch (caught) {
      error = caught
    }

    expect(error).toBeInstanceOf(AppError)
    expect(error).toMatchObject({code: 'E_CONFIG', exitCode: 3, message: 'JSL_MED_LLAMA_BINARY=fast is not one of auto, prebuilt, native'})
  })

  it('never builds; auto lets node-llama-cpp prefer the local build, prebuilt hides it, native refuses prebuilt binaries', () => {
    expect(llamaBinaryOptions('auto')).toEqual({build: 'never'})
    // A custom cmake option makes node-llama-cpp look for a local build in a folder no build writes.
    expect(llamaBinaryOptions('prebuilt')).toEqual({build: 'never', cmakeOptions: {JSL_MED_PREBUILT: '1'}})
    expect(llamaBinaryOptions('native')).toEqual({build: 'never', usePrebuiltBinaries: false})
  })

  it('takes the prebuilt under auto while a native build holds the lock (node-llama-cpp would wait for it)', () => {
    expect(llamaBinaryOptions('auto', {nativeBuilding: true})).toEqual(llamaBinaryOptions('prebuilt'))
    expect(llamaBinaryOptions('native', {nativeBuilding: true})).toEqual(llamaBinaryOptions('native'))
  })

  it('keeps auto on the prebuilt once this process loaded it (a second addon would link the first one\'s libggml)', () => {
    expect(llamaBinaryOptions('auto', {loadedBefore: 'prebuilt'})).toEqual(llamaBinaryOptions('prebuilt'))
    expect(llamaBinaryOptions('auto', {loadedBefore: 'native'})).toEqual(llamaBinaryOptions('auto'))
  })

  it('takes the prebuilt under auto when build:native measured it clearly faster, and the native build on a tie', () => {
    expect(llamaBinaryOptions('auto', {nativeSlower: true})).toEqual(llamaBinaryOptions('prebuilt'))
    expect(llamaBinaryOptions('native', {nativeSlower: true})).toEqual(llamaBinaryOptions('native'))
    // The figures of the AMX machine (prebuilt pp 955 / tg 122 vs native 539 / 77), a tie, and a narrow prebuilt lead.
    expect(preferredBinary({pp: 539, tg: 77}, {pp: 955, tg: 122})).toBe('prebuilt')
    expect(preferredBinary({pp: 550, tg: 75}, {pp: 550, tg: 75})).toBe('native')
    expect(preferredBinary({pp: 100, tg: 100}, {pp: 108, tg: 108})).toBe('native')
    expect(preferredBinary({pp: 100, tg: 100}, {pp: 150, tg: 90})).toBe('prebuilt')
  })

  it('tells the binary from the build type and OPENMP = 1 in the system info', () => {
    expect(describeLlamaBinary({buildType: 'localBuild', systemInfo: 'CPU : SSE3 = 1 | AVX2 = 1 | OPENMP = 1 | REPACK = 1 |'})).toEqual({kind: 'native', openmp: true})
    expect(describeLlamaBinary({buildType: 'prebuilt', systemInfo: 'CPU : SSE3 = 1 | AVX2 = 1 | LLAMAFILE = 1 | REPACK = 1 |'})).toEqual({kind: 'prebuilt', openmp: false})
    expect(describeLlamaBinary({buildType: 'localBuild', systemInfo: 'CPU : OPENMP = 0 |'})).toEqual({kind: 'native', openmp: false})
  })

  it('is listed in ENV_VARS, so --help and the README name it', () => {
    expect(ENV_VARS.map((variable) => variable.name)).toContain(LLAMA_BINARY_ENV)
  })

  it('goes into the bench fingerprint, which fits schemas/bench-result.schema.json', async () => {
    const info = {gpu: false as const, gpuDevices: [], systemInfo: 'CPU : AVX2 = 1 | OPENMP = 1 |', binary: {kind: 'native' as const, openmp: true}}
    const hardware = await fingerprintHardware(2, info)
    expect(hardware.binary).toEqual({kind: 'native', openmp: true})
    expect(hardware.cpu.features).toContain('OPENMP')
    const schema = await loadSchema('bench-result.schema.json')
    expect(validate(schema.$defs!.hardware, hardware, schema)).toEqual([])
    expect((await fingerprintHardware(2)).binary).toBeUndefined()
  })
})

describe('the binaries on disk (read, never loaded)', () => {
  it('finds the native build where node-llama-cpp keeps it, and agrees with the files', async () => {
    const native = await findNativeLlamaBuild()
    expect(native.dir).toMatch(/node-llama-cpp[/\\]llama[/\\]localBuilds[/\\]\w+-\w+$/)
    const complete = await access(join(native.dir, 'Release', 'llama-addon.node')).then(
      () => true,
      () => false,
    )
    if (!native.building) expect(native.built).toBe(complete)
  })

  it('follows the choice: prebuilt without OpenMP (node-llama-cpp builds its binaries with GGML_OPENMP=OFF), native only when built', async () => {
    const prebuilt = await inspectLlamaBinary({[LLAMA_BINARY_ENV]: 'prebuilt'})
    expect(prebuilt).toMatchObject({kind: 'prebuilt', openmp: false, choice: 'prebuilt', checkedBy: 'files'})
    const native = await inspectLlamaBinary({[LLAMA_BINARY_ENV]: 'native'})
    expect(native.kind).toBe(native.nativeBuilt ? 'native' : null)
    const auto = await inspectLlamaBinary({})
    expect(auto.kind).toBe(auto.nativeBuilt && auto.comparison?.preferred !== 'prebuilt' ? 'native' : 'prebuilt')
    await expect(inspectLlamaBinary({[LLAMA_BINARY_ENV]: 'fast'})).rejects.toMatchObject({exitCode: 3})
  })
})
