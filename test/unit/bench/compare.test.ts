import {describe, expect, it} from 'vitest'

import {compareRecords, parseBenchRecords, regressionError, type BenchRecord} from '../../../src/lib/bench/index.js'
import {formatComparisonTable} from '../../../src/lib/cli/index.js'

const hardware = {cpu: {model: 'cpu', physicalCores: 2, logicalCores: 2, features: []}, threads: 2, backend: 'cpu', gpus: [], ramBytes: 1, os: 'linux', arch: 'x64'}
const base = {schemaVersion: 1, runId: 'r', timestamp: '2026-01-01T00:00:00.000Z', model: {id: 'm.gguf'}, quant: 'q4', synthetic: false, hardware, seed: 1, durationMs: 1}

const speed = (pp: number, tg: number, threads = 2): BenchRecord =>
  ({
    ...base,
    hardware: {...hardware, threads},
    kind: 'speed',
    task: 'speed',
    speed: {
      pp: {name: 'pp512', tokens: 512, tokensPerSecond: {mean: pp, sd: 0, samples: [pp]}},
      tg: {name: 'tg128', tokens: 128, tokensPerSecond: {mean: tg, sd: 0, samples: [tg]}},
      timeToFirstTokenMs: {mean: 100, sd: 0, samples: [100]},
      peakRssBytes: 1000,
      loadMs: 1,
    },
  }) as unknown as BenchRecord

const accuracy = (task: string, value: number): BenchRecord => ({...base, kind: 'accuracy', task, accuracy: {accuracy: value}}) as unknown as BenchRecord

describe('compareRecords', () => {
  it('reports deltas per figure and flags judged figures worse than the threshold', () => {
    const comparison = compareRecords([speed(100, 20), accuracy('medqa', 0.5)], [speed(95, 17), accuracy('medqa', 0.56)], 10)
    const tg = comparison.deltas.find((d) => d.metric === 'tg128 t/s')!
    expect(tg).toMatchObject({model: 'm.gguf', quant: 'q4', task: 'speed', a: 20, b: 17, delta: -3, deltaPercent: -15, regression: true, judged: true})
    expect(comparison.deltas.find((d) => d.metric === 'pp512 t/s')).toMatchObject({deltaPercent: -5, regression: false})
    expect(comparison.deltas.find((d) => d.metric === 'accuracy')).toMatchObject({regression: false})
    expect(comparison.deltas.find((d) => d.metric === 'ttft ms')).toMatchObject({judged: false, regression: false})
    expect(comparison.regressions).toBe(1)
    expect(formatComparisonTable(comparison)).toMatch(/tg128 t\/s .*-15\.0% \| REGRESSION/)
  })

  it('treats lower-is-better figures the right way round and never judges them', () => {
    const slower = speed(100, 20)
    ;(slower as Extract<BenchRecord, {kind: 'speed'}>).speed.timeToFirstTokenMs.mean = 200
    const ttft = compareRecords([speed(100, 20)], [slower]).deltas.find((d) => d.metric === 'ttft ms')!
    expect(ttft).toMatchObject({deltaPercent: 100, higherIsBetter: false, regression: false})
  })

  it('lists unmatched keys and notices different hardware', () => {
    const comparison = compareRecords([speed(1, 1), accuracy('medqa', 1)], [speed(1, 1, 1), accuracy('pubmedqa', 1)])
    expect(comparison.onlyInA).toEqual(['m.gguf q4 medqa'])
    expect(comparison.onlyInB).toEqual(['m.gguf q4 pubmedqa'])
    expect(comparison.hardwareDiffers).toBe(true)
  })

  it('ends a regressed comparison with exit 9 (some records failed) and a hint', () => {
    const error = regressionError(compareRecords([speed(100, 20)], [speed(50, 20)], 10))
    expect(error).toMatchObject({code: 'E_REGRESSION', exitCode: 9})
    expect(error.message).toBe('1 of 2 compared figures regressed by more than 10%')
    expect(error.hint).toMatch(/--threshold/)
  })
})

describe('parseBenchRecords', () => {
  it('reads NDJSON, skipping blank lines, and names the line of a bad one (exit 8)', () => {
    expect(parseBenchRecords(`${JSON.stringify(speed(1, 1))}\n\n`, 'a.ndjson')).toHaveLength(1)
    expect(() => parseBenchRecords('{"kind":"speed"', 'a.ndjson')).toThrow(expect.objectContaining({code: 'E_BAD_JSON', exitCode: 8, message: 'a.ndjson:1: not JSON'}))
    expect(() => parseBenchRecords('\n{"id":1}', 'b.ndjson')).toThrow(expect.objectContaining({code: 'E_BAD_RECORD', message: 'b.ndjson:2: not a bench result record'}))
  })
})
