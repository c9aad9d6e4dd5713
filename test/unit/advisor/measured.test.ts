import {readFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {recommend, summarizeRecommendation, type Measurement} from '../../../src/lib/advisor/index.js'
import type {SpeedRecord} from '../../../src/lib/bench/index.js'
import {findModel, type CatalogModel, type Quant} from '../../../src/lib/catalog/index.js'
import {renderHwReport} from '../../../src/lib/cli/index.js'
import type {HardwareProfile} from '../../../src/lib/hardware/index.js'
import {appendToHistory, hardwareKey} from '../../../src/lib/results/index.js'
import {writeManifest, type ManifestEntry} from '../../../src/lib/store/index.js'
import {adviseMachine} from '../../../src/lib/use-cases/index.js'
import {BENCH_RECORD_BASE} from '../../helpers/bench-record.js'
import {root} from '../../helpers/spawn-cli.js'
import {loadSchema, validate} from './json-schema.js'

const laptop = (): HardwareProfile => JSON.parse(readFileSync(join(root, 'test/fixtures/hw/laptop-8gb-cpu.json'), 'utf8')) as HardwareProfile
const qwen = (): CatalogModel => findModel('qwen2.5-0.5b')!
const sha = (quant: Quant): string => ({q4: '4', q8: '8', q16: '6'})[quant].repeat(64)

const measurement = (quant: Quant, tg: number): Measurement => ({
  sha256: sha(quant),
  speed: {pp: {name: 'pp512', tokensPerSecond: 10 * tg}, tg: {name: 'tg128', tokensPerSecond: tg}, threads: 2, measuredAt: '2026-12-01T10:00:00.000Z', runId: 'r'},
  quality: {
    reference: {id: 'qwen2.5-0.5b:q16', sha256: sha('q16'), fileType: 'F16'},
    positions: 500,
    kld: {mean: 0.031, low: 0.028, high: 0.034},
    top1: {rate: 0.93, low: 0.91, high: 0.95},
    measuredAt: '2026-12-01T11:00:00.000Z',
    runId: 'r2',
  },
})

describe('recommend with measurements', () => {
  it('says estimated without measurements of the recommended quantization, measured with them', () => {
    const estimated = recommend(laptop(), qwen())
    expect(estimated).toMatchObject({source: 'estimated', measured: null})
    expect(estimated.reasons.map((reason) => reason.code)).not.toContain('MEASURED')
    const other: Quant = estimated.quant === 'q4' ? 'q8' : 'q4'
    expect(recommend(laptop(), qwen(), {measurements: {[other]: measurement(other, 50)}})).toMatchObject({quant: estimated.quant, source: 'estimated', measured: null})

    const figures = measurement(estimated.quant, 42.37)
    const measured = recommend(laptop(), qwen(), {measurements: {[estimated.quant]: figures}})
    expect(measured).toMatchObject({quant: estimated.quant, source: 'measured', measured: figures, tokensPerSecond: estimated.tokensPerSecond})
    expect(measured.reasons).toContainEqual({code: 'MEASURED', quant: estimated.quant, tgTokensPerSecond: 42.4, kldMean: 0.031, top1Rate: 0.93})
    expect(summarizeRecommendation(measured).length).toBeGreaterThan(summarizeRecommendation(estimated).length)
  })

  it('cites speed alone when only a speed record exists', () => {
    const {quant} = recommend(laptop(), qwen())
    const speedOnly = {...measurement(quant, 20), quality: null}
    expect(recommend(laptop(), qwen(), {measurements: {[quant]: speedOnly}}).reasons).toContainEqual({code: 'MEASURED', quant, tgTokensPerSecond: 20, kldMean: null, top1Rate: null})
  })
})

describe('adviseMachine with a bench history', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-measured-'))
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))

  const speedRecord = (quant: Quant, tg: number, timestamp: string): SpeedRecord => ({
    ...BENCH_RECORD_BASE,
    timestamp,
    model: {...BENCH_RECORD_BASE.model, id: `qwen2.5-0.5b:${quant}`, sha256: sha(quant)},
    quant,
    synthetic: false,
    kind: 'speed',
    task: 'speed',
    settings: {promptTokens: 512, generateTokens: 128, repetitions: 5, warmup: true, contextSize: 640, batchSize: 512, flashAttention: false, threads: 2},
    speed: {
      pp: {name: 'pp512', tokens: 512, tokensPerSecond: {mean: 10 * tg, sd: 1, samples: [10 * tg]}},
      tg: {name: 'tg128', tokens: 128, tokensPerSecond: {mean: tg, sd: 1, samples: [tg]}},
      timeToFirstTokenMs: {mean: 1, sd: 0, samples: [1]},
      peakRssBytes: 1,
      loadMs: 1,
    },
  })

  it("cites the newest figures of the store's files for this machine's key, and stays estimated for another machine", async () => {
    const modelsDir = join(dir, 'models')
    const entry = (quant: Quant): ManifestEntry => ({
      id: `qwen2.5-0.5b:${quant}`,
      refs: [],
      catalogId: 'qwen2.5-0.5b',
      quant,
      file: `qwen2.5-0.5b/${quant}.gguf`,
      sizeBytes: 10,
      sha256: sha(quant),
      checksumSource: 'computed',
      source: {kind: 'catalog', ref: `hf:x/y/${quant}.gguf`},
      installedAt: '2026-12-01T00:00:00.000Z',
    })
    await writeManifest(modelsDir, {version: 1, models: (['q4', 'q8', 'q16'] as const).map(entry)})
    for (const quant of ['q4', 'q8', 'q16'] as const) {
      await appendToHistory(join(dir, 'data'), speedRecord(quant, 30, '2026-12-01T10:00:00.000Z'))
      await appendToHistory(join(dir, 'data'), speedRecord(quant, 60, '2026-12-01T12:00:00.000Z'))
    }

    const options = {profile: laptop(), model: 'qwen2.5-0.5b', env: {JSL_MED_MODELS_DIR: modelsDir}, dataDir: join(dir, 'data'), cacheDir: join(dir, 'cache')}
    const result = await adviseMachine({...options, hardwareKey: hardwareKey(BENCH_RECORD_BASE.hardware)})
    const [advice] = result.models
    expect(result.history).toMatchObject({hardwareKey: hardwareKey(BENCH_RECORD_BASE.hardware), records: 6, skipped: 0})
    expect(advice.recommendation).toMatchObject({source: 'measured', measured: {sha256: sha(advice.recommendation.quant), speed: {tg: {tokensPerSecond: 60}, pp: {tokensPerSecond: 600}}, quality: null}})
    expect(advice.measurements.map(({quant}) => quant)).toEqual(['q4', 'q8', 'q16'])
    const schema = await loadSchema('hw.schema.json')
    expect(validate(schema, JSON.parse(JSON.stringify(result)))).toEqual([])

    // The human report: the row's speed is the measured one, and the figures block lists the estimate and each measurement.
    const lines = renderHwReport(result).split('\n')
    const row = lines.find((line) => line.startsWith('qwen2.5-0.5b '))!
    expect(row.split(/ {2,}/).at(-1)).toBe('60 m')
    const figures = lines.slice(lines.findIndex((line) => line.startsWith('Figures')))
    expect(figures.filter((line) => /^ {2}\S/.test(line)).map((line) => line.trim().split(/\s+/).slice(0, 2).join(' '))).toEqual([
      `estimated ${advice.recommendation.quant}:`,
      'measured q4:',
      'measured q8:',
      'measured q16:',
    ])
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80)

    const elsewhere = await adviseMachine({...options, hardwareKey: 'feedfacefeedface'})
    expect(elsewhere.models[0].recommendation).toMatchObject({source: 'estimated', measured: null})
    expect(elsewhere.models[0].measurements).toEqual([])
    expect(validate(schema, JSON.parse(JSON.stringify(elsewhere)))).toEqual([])
  })
})
