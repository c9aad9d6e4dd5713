import {mkdtemp, readFile, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import type {HwResult} from '../../../src/commands/hw.js'
import {runCli} from '../../helpers/spawn-cli.js'
import {loadSchema, validate} from '../../unit/advisor/json-schema.js'

// The quality task is another branch's; this test measures speed, and a unit test covers quality records.
const benched = inject('tinyModelPath')
const neverBenched = inject('tinyEmbedModelPath')
const SPEED = ['-r', '1', '--no-warmup', '-p', '16', '-n', '4', '--threads', '1', '-q']
let dir: string
let env: Record<string, string>

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jsl-med-hw-measured-'))
  env = {JSL_MED_DATA_DIR: join(dir, 'data'), JSL_MED_CACHE_DIR: join(dir, 'cache'), JSL_MED_MODELS_DIR: join(dir, 'models'), JSL_MED_THREADS: '', JSL_MED_LLAMA_BENCH: ''}
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
  it('says measured with the figures of the bench run for the benched file, estimated for a file never benched', async () => {
    const bench = await runCli(['bench', '-m', benched, ...SPEED], '', env)
    expect(bench.code, bench.stderr).toBe(0)
    const [record] = bench.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line))
    expect(await historyLines()).toEqual([bench.stdout.trimEnd()])

    const measured = await hw(benched)
    expect(measured.history).toMatchObject({records: 1, skipped: 0})
    expect(measured.models[0].recommendation).toMatchObject({
      source: 'measured',
      measured: {
        sha256: record.model.sha256,
        speed: {
          pp: {name: record.speed.pp.name, tokensPerSecond: record.speed.pp.tokensPerSecond.mean},
          tg: {name: record.speed.tg.name, tokensPerSecond: record.speed.tg.tokensPerSecond.mean},
          runId: record.runId,
        },
        quality: null,
      },
    })
    expect(measured.models[0].recommendation.tokensPerSecond).not.toBeNull()

    const estimated = await hw(neverBenched)
    expect(estimated.models[0].recommendation).toMatchObject({source: 'estimated', measured: null})
    expect(estimated.models[0].measurements).toEqual([])
  })

  it('shows the estimate and the measurement in the human report, within 80 columns, with nothing on stderr', async () => {
    const {code, stdout, stderr} = await runCli(['hw', '--model', benched], '', env)
    expect(code).toBe(0)
    expect(stderr).toBe('')
    const lines = stdout.trimEnd().split('\n')
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80)
    const figures = lines.slice(lines.findIndex((line) => line.startsWith('Figures')) + 1)
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
