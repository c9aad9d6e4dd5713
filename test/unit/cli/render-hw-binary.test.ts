import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {renderHwReport} from '../../../src/lib/cli/index.js'
import type {LlamaBinaryStatus} from '../../../src/lib/engine/index.js'
import type {HardwareProfile} from '../../../src/lib/hardware/index.js'
import {adviseMachine} from '../../../src/lib/use-cases/index.js'
import {root} from '../../helpers/spawn-cli.js'
import {loadSchema, validate} from '../advisor/json-schema.js'

function profile(name: string, binary?: LlamaBinaryStatus | null): HardwareProfile {
  const loaded = JSON.parse(readFileSync(join(root, 'test/fixtures/hw', `${name}.json`), 'utf8')) as HardwareProfile
  if (binary !== undefined) loaded.backend.binary = binary
  return loaded
}

async function binaryLine(binary: LlamaBinaryStatus | null | undefined, fixture = 'laptop-8gb-cpu'): Promise<string | undefined> {
  // --wide keeps each fact on one line.
  const text = renderHwReport(await adviseMachine({profile: profile(fixture, binary)}), {wide: true})
  return text.split('\n').find((line) => line.startsWith('LLAMA.CPP'))
}

const status = (overrides: Partial<LlamaBinaryStatus>): LlamaBinaryStatus => ({kind: 'prebuilt', openmp: false, choice: 'auto', nativeBuilt: false, checkedBy: 'files', ...overrides})

describe('the LLAMA.CPP line of the hw report', () => {
  it('names the prebuilt without OpenMP and the step that fixes it on the CPU', async () => {
    expect(await binaryLine(status({}))).toMatch(/^LLAMA\.CPP +prebuilt, no OpenMP — run npm run build:native for full speed on a busy machine$/)
  })

  it('says native, OpenMP for the native build', async () => {
    expect(await binaryLine(status({kind: 'native', openmp: true, nativeBuilt: true}))).toMatch(/^LLAMA\.CPP +native, OpenMP$/)
  })

  it('names an override of JSL_MED_LLAMA_BINARY, and a native one that is missing', async () => {
    expect(await binaryLine(status({choice: 'prebuilt', nativeBuilt: true}))).toMatch(
      /^LLAMA\.CPP +prebuilt, no OpenMP \(JSL_MED_LLAMA_BINARY=prebuilt\); a native OpenMP build is there, unset JSL_MED_LLAMA_BINARY to use it$/,
    )
    expect(await binaryLine(status({kind: null, openmp: null, choice: 'native'}))).toMatch(
      /^LLAMA\.CPP +none: JSL_MED_LLAMA_BINARY=native, but there is no native build — run npm run build:native$/,
    )
  })

  it('gives no build advice when a GPU runs the model, and no line when the binary is unknown', async () => {
    expect(await binaryLine(status({checkedBy: 'llama.cpp'}), 'desktop-16gb-nvidia-8gb')).toMatch(/^LLAMA\.CPP +prebuilt, no OpenMP$/)
    expect(await binaryLine(null)).toBeUndefined()
    expect(await binaryLine(undefined)).toBeUndefined()
  })

  it('fits schemas/hw.schema.json with and without the binary', async () => {
    const schema = await loadSchema('hw.schema.json')
    for (const binary of [status({}), status({kind: null, openmp: null, choice: 'native'}), null]) {
      const result = await adviseMachine({profile: profile('laptop-8gb-cpu', binary)})
      expect(validate(schema, JSON.parse(JSON.stringify(result)))).toEqual([])
    }
  })
})
