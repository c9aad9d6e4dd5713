import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, inject, it} from 'vitest'

import type {HwResult} from '../../../src/commands/hw.js'
import {runCli} from '../../helpers/spawn-cli.js'
import {loadSchema, validate} from '../../unit/advisor/json-schema.js'

// A fact, or the continuation of a long one wrapped at 80 columns under its value.
const MACHINE_LINE = /^((CPU|RAM|GPU|BACKEND|LLAMA\.CPP|OS) +| {11})\S/

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
    for (const row of rows) expect(row).toMatch(/^[a-z0-9.-]+( \*)? +q(4|8|16) +\d+\/\d+ +\d+ +\d+ +[\d.]+ [MG]iB +(yes|NO) +(~[\d.]+|GPU|[\d.]+ m)$/)
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80)
    expect(stdout).not.toMatch(/llama\.cpp:|\[node-llama-cpp]|warn/i)
  })

  it('gives the reasons with --wide', async () => {
    const {code, stdout} = await runCli(['hw', '--wide'])
    expect(code).toBe(0)
    expect(stdout).toMatch(/^MODEL +QUANT +GPU LAYERS +CONTEXT +THREADS +EST\. MEMORY +FITS +WHY$/m)
    expect(stdout).toMatch(/^qwen3-1\.7b +q(4|8|16) .* (CPU only|GPU|fits|does not fit)/im)
  })

  it('gives the same recommendations three runs in a row: the bandwidth is measured once and cached with its date', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'jsl-med-hw-cache-'))
    try {
      const runs: HwResult[] = []
      for (let run = 0; run < 3; run++) {
        const {code, stdout} = await runCli(['hw', '--json'], '', {JSL_MED_CACHE_DIR: cacheDir})
        expect(code).toBe(0)
        runs.push(JSON.parse(stdout) as HwResult)
      }

      const cached = JSON.parse(await readFile(join(cacheDir, 'bandwidth.json'), 'utf8'))
      for (const run of runs) {
        expect(run.hardware.memory).toMatchObject({bandwidthSource: 'measured', bandwidthBytesPerSecond: cached.bytesPerSecond, bandwidthMeasuredAt: cached.measuredAt})
      }

      // What the advice is; the reasons also quote the RAM available at that moment, which other processes move.
      const advice = runs.map((run) =>
        run.models.map(({id, recommendation: {quant, gpuLayers, contextSize, threads, fits, tokensPerSecond}}) => ({id, quant, gpuLayers, contextSize, threads, fits, tokensPerSecond})),
      )
      expect(advice[1]).toEqual(advice[0])
      expect(advice[2]).toEqual(advice[0])
      const remeasured = await runCli(['hw', '--json', '--remeasure'], '', {JSL_MED_CACHE_DIR: cacheDir})
      expect((JSON.parse(remeasured.stdout) as HwResult).hardware.memory.bandwidthMeasuredAt).not.toBe(cached.measuredAt)
    } finally {
      await rm(cacheDir, {recursive: true, force: true})
    }
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
