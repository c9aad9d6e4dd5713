import {describe, expect, inject, it} from 'vitest'

import type {HwResult} from '../../src/commands/hw.js'
import {runCli} from '../helpers/spawn-cli.js'
import {loadSchema, validate} from '../unit/advisor/json-schema.js'

const MACHINE_LINE = /^(CPU|RAM|GPU|BACKEND|LLAMA\.CPP|OS) +\S/

describe('bin/run.js hw (spawned)', () => {
  it('prints only the report on stdout and exits 0', async () => {
    const {code, stdout, stderr} = await runCli(['hw'])
    expect(code).toBe(0)
    expect(stderr).toBe('')
    const lines = stdout.trimEnd().split('\n')
    const header = lines.findIndex((line) => line.startsWith('MODEL '))
    expect(header).toBeGreaterThan(0)
    // The machine block, then a blank line, the assumptions, a blank line, the table; notes after it.
    const machine = lines.slice(0, lines.indexOf(''))
    for (const line of machine) expect(line).toMatch(MACHINE_LINE)
    expect(machine.map((line) => line.split(' ')[0])).toEqual(expect.arrayContaining(['CPU', 'RAM', 'GPU', 'BACKEND', 'OS']))
    const rows = lines.slice(header + 1, lines.indexOf('', header))
    for (const row of rows) expect(row).toMatch(/^[a-z0-9.-]+( \*)? +q(4|8|16) +\d+\/\d+ +\d+ +\d+ +[\d.]+ [MG]iB +(yes|NO) +\S/)
    expect(stdout).not.toMatch(/llama\.cpp:|\[node-llama-cpp]|warn/i)
  })

  it('prints one JSON document that matches the schema with --json', async () => {
    const {code, stdout, stderr} = await runCli(['hw', '--json'])
    expect(code).toBe(0)
    expect(stderr).toBe('')
    const document = JSON.parse(stdout) as HwResult
    expect(validate(await loadSchema('hw.schema.json'), document)).toEqual([])
  })

  it('loads llama.cpp with --load-backend and still keeps its logs off stdout', async () => {
    const {code, stdout} = await runCli(['hw', '--json', '--load-backend', '--model', 'qwen2.5-0.5b', '--verbose'])
    expect(code).toBe(0)
    const document = JSON.parse(stdout) as HwResult
    expect(document.hardware.backend).toMatchObject({loaded: true, checkedBy: 'llama.cpp', llamaCppRelease: expect.stringMatching(/^v?\d/)})
    expect(document.hardware.cpu.llamaSystemInfo).toMatch(/CPU :/)
    expect(document.models).toHaveLength(1)
  })

  it('reads a GGUF file given as --model', async () => {
    const {code, stdout} = await runCli(['hw', '--model', inject('tinyModelPath')])
    expect(code).toBe(0)
    expect(stdout).toMatch(/^tiny +q16 +\d+\/3 +4096 /m)
  })

  it('exits 4 with a JSON error document for an unknown model in --json mode', async () => {
    const {code, stdout} = await runCli(['hw', '--json', '--model', 'no-such-model'])
    expect(code).toBe(4)
    expect(JSON.parse(stdout)).toEqual({error: expect.objectContaining({code: 'E_UNKNOWN_MODEL', exitCode: 4, hint: expect.any(String)})})
  })
})
