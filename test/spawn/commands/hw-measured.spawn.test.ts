import {mkdtemp, readFile, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import type {HwResult} from '../../../src/commands/hw.js'
import {runCli} from '../../helpers/spawn-cli.js'
import {loadSchema, validate} from '../../unit/advisor/json-schema.js'

const neverBenched = inject('tinyEmbedModelPath')
const SPEED = ['-r', '1', '--no-warmup', '-p', '16', '-n', '4', '--threads', '1', '-q']
let dir: string
let env: Record<string, string>
let benched: string
let reference: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jsl-med-hw-measured-'))
  env = {JSL_MED_DATA_DIR: join(dir, 'data'), JSL_MED_CACHE_DIR: join(dir, 'cache'), JSL_MED_MODELS_DIR: join(dir, 'models'), JSL_MED_THREADS: '', JSL_MED_LLAMA_BENCH: '', JSL_MED_BENCH_DATA_DIR: ''}
})
afterAll(() => rm(dir, {recursive: true, force: true}))

async function hw(model: string): Promise<HwResult> {
  const {code, stdout, stderr} = await runCli(['hw', '--model', model, '--json'], '', env)
  expect(code, stderr).toBe(0)
  const result = JSON.parse(stdout) as HwResult
  expect(validate(await loadSchema('hw.schema.json'), result)).toEqual([])
  return result
}

async function historyLines(): Promise<string[]> {
  const [file, ...others] = await readdir(join(dir, 'data/bench'))
  expect(others).toEqual([])
  return (await readFile(join(dir, 'data/bench', file), 'utf8')).split('\n').filter(Boolean)
}

describe('bench keeps its records, hw cites them (spawned, real llama.cpp)', () => {
  it('says measured with the speed and quality figures of the bench run, estimated for a file never benched', async () => {
    const bench = await runCli(['bench', '--synthetic', 'tiny', '--quant', 'q4,q8', '--tasks', 'speed,quality', ...SPEED], '', env)
    expect(bench.code, bench.stderr).toBe(0)
    const records = bench.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line))
    expect(records.map((r) => [r.kind, r.quant])).toEqual(expect.arrayContaining([['speed', 'q4'], ['quality', 'q4'], ['speed', 'q8'], ['quality', 'q8']]))
    expect(await historyLines()).toEqual(bench.stdout.trimEnd().split('\n'))
    const speed = records.find((r) => r.kind === 'speed' && r.quant === 'q4')
    const quality = records.find((r) => r.kind === 'quality' && r.quant === 'q4')
    benched = speed.model.path
    // The F16 the quantizations were compared with: named by the quality records, never benched itself.
    reference = join(dirname(benched), 'llama-tiny-F16-seed1.gguf')
    expect(quality.quality.reference.sha256).not.toBe(speed.model.sha256)

    const measured = await hw(benched)
    expect(measured.history).toMatchObject({records: records.length, skipped: 0})
    expect(measured.models[0].recommendation).toMatchObject({
      source: 'measured',
      measured: {
        sha256: speed.model.sha256,
        speed: {
          pp: {name: speed.speed.pp.name, tokensPerSecond: speed.speed.pp.tokensPerSecond.mean},
          tg: {name: speed.speed.tg.name, tokensPerSecond: speed.speed.tg.tokensPerSecond.mean},
          runId: speed.runId,
        },
        quality: {reference: quality.quality.reference, positions: quality.quality.positions, kld: quality.quality.kld, top1: quality.quality.top1},
      },
    })
    expect(measured.models[0].recommendation.tokensPerSecond).not.toBeNull()

    for (const file of [reference, neverBenched]) {
      const estimated = await hw(file)
      expect(estimated.models[0].recommendation).toMatchObject({source: 'estimated', measured: null})
      expect(estimated.models[0].measurements).toEqual([])
    }
  })

  it('shows the estimate and the measurement in the human report, within 80 columns, with nothing on stderr', async () => {
    const {code, stdout, stderr} = await runCli(['hw', '--model', benched], '', env)
    expect(code).toBe(0)
    expect(stderr).toBe('')
    const lines = stdout.trimEnd().split('\n')
    // The table row holds the file's name, however long; the figures block wraps at 80 columns.
    const figures = lines.slice(lines.findIndex((line) => line.startsWith('Figures')) + 1)
    for (const line of figures) expect(line.length, line).toBeLessThanOrEqual(80)
    const row = lines.find((line) => line.startsWith('llama-tiny-Q4_0-seed1 '))!
    expect(row.split(/ {2,}/).at(-1)).toMatch(/^[\d.]+ m$/)
    expect(figures.filter((line) => /^ {2}\S/.test(line)).map((line) => line.trim().split(' ')[0])).toEqual(['estimated', 'measured'])
  })

  it('keeps a --no-store run out of the history', async () => {
    const before = await historyLines()
    const bench = await runCli(['bench', '-m', neverBenched, '--no-store', ...SPEED], '', env)
    expect(bench.code, bench.stderr).toBe(0)
    expect(bench.stdout.split('\n').filter(Boolean)).toHaveLength(1)
    expect(await historyLines()).toEqual(before)
    expect((await hw(neverBenched)).models[0].recommendation.source).toBe('estimated')
  })
})
