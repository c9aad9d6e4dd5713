import {appendFile, mkdtemp, readFile, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {HardwareFingerprint} from '../../../src/lib/bench/index.js'
import {appendToHistory, hardwareKey, historyFile, readHistory} from '../../../src/lib/results/index.js'
import {BENCH_RECORD_BASE} from '../../helpers/bench-record.js'

const HARDWARE: HardwareFingerprint = BENCH_RECORD_BASE.hardware

let dataDir: string
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'jsl-med-history-'))
})
afterEach(() => rm(dataDir, {recursive: true, force: true}))

describe('hardwareKey', () => {
  it('is stable over threads and list order, and changes with any identifying part', () => {
    const key = hardwareKey(HARDWARE)
    expect(key).toMatch(/^[0-9a-f]{16}$/)
    expect(hardwareKey({...HARDWARE, threads: 7})).toBe(key)
    const twoFeatures = {...HARDWARE, cpu: {...HARDWARE.cpu, features: ['AVX2', 'FMA']}}
    expect(hardwareKey({...twoFeatures, cpu: {...twoFeatures.cpu, features: ['FMA', 'AVX2']}})).toBe(hardwareKey(twoFeatures))
    const variants: HardwareFingerprint[] = [
      {...HARDWARE, cpu: {...HARDWARE.cpu, model: 'Intel Xeon'}},
      {...HARDWARE, cpu: {...HARDWARE.cpu, physicalCores: 4}},
      {...HARDWARE, cpu: {...HARDWARE.cpu, logicalCores: 4}},
      twoFeatures,
      {...HARDWARE, backend: 'cuda'},
      {...HARDWARE, gpus: ['NVIDIA GeForce RTX 3060']},
      {...HARDWARE, ramBytes: 2},
      {...HARDWARE, os: 'linux 6.2'},
      {...HARDWARE, arch: 'arm64'},
      {...HARDWARE, binary: {kind: 'native', openmp: true}},
    ]
    const keys = variants.map((variant) => hardwareKey(variant))
    expect(new Set([key, ...keys]).size).toBe(variants.length + 1)
  })
})

describe('bench history', () => {
  it('appends whole lines to one file per machine and reads them back oldest first', async () => {
    const first = {...BENCH_RECORD_BASE, runId: 'one'}
    const file = await appendToHistory(dataDir, first)
    expect(file).toBe(historyFile(dataDir, hardwareKey(HARDWARE)))
    await appendToHistory(dataDir, {...BENCH_RECORD_BASE, runId: 'two', hardware: {...HARDWARE, threads: 2}})
    await appendToHistory(dataDir, {...BENCH_RECORD_BASE, runId: 'elsewhere', hardware: {...HARDWARE, arch: 'arm64'}})
    expect((await readdir(join(dataDir, 'bench'))).sort()).toEqual([`${hardwareKey(HARDWARE)}.ndjson`, `${hardwareKey({...HARDWARE, arch: 'arm64'})}.ndjson`].sort())
    const lines = (await readFile(file, 'utf8')).split('\n')
    expect(lines.at(-1)).toBe('')
    expect(lines.slice(0, -1).map((line) => JSON.parse(line).runId)).toEqual(['one', 'two'])
    const history = await readHistory(dataDir, hardwareKey(HARDWARE))
    expect(history).toMatchObject({skipped: 0, file})
    expect(history.records).toEqual([first, {...BENCH_RECORD_BASE, runId: 'two', hardware: {...HARDWARE, threads: 2}}])
  })

  it('keeps every line whole when many appends race', async () => {
    const runs = Array.from({length: 40}, (_, index) => ({...BENCH_RECORD_BASE, runId: `run-${index}`, padding: 'x'.repeat(4000)}))
    await Promise.all(runs.map((record) => appendToHistory(dataDir, record)))
    const history = await readHistory(dataDir, hardwareKey(HARDWARE))
    expect(history.skipped).toBe(0)
    expect(history.records.map((record) => (record as {runId: string}).runId).sort()).toEqual(runs.map((record) => record.runId).sort())
  })

  it('skips a torn or foreign line, and the next append starts on a line of its own', async () => {
    const file = await appendToHistory(dataDir, {...BENCH_RECORD_BASE, runId: 'before'})
    await appendFile(file, '{"runId":"torn","mod')
    await appendToHistory(dataDir, {...BENCH_RECORD_BASE, runId: 'after'})
    await appendFile(file, '[1,2]\n\n')
    const history = await readHistory(dataDir, hardwareKey(HARDWARE))
    expect(history.records.map((record) => (record as {runId: string}).runId)).toEqual(['before', 'after'])
    expect(history.skipped).toBe(2)
  })

  it('reads a machine without a history as empty, and fails with exit 3 where nothing can be written', async () => {
    expect(await readHistory(dataDir, 'feedfacefeedface')).toMatchObject({records: [], skipped: 0})
    await appendFile(join(dataDir, 'bench'), 'a file where the folder should be')
    await expect(appendToHistory(dataDir, BENCH_RECORD_BASE)).rejects.toMatchObject({exitCode: 3, code: 'E_NOT_WRITABLE'})
  })
})
