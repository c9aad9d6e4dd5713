import {describe, expect, it} from 'vitest'

import type {SpeedRecord} from '../../../src/lib/bench/index.js'
import {selectMeasurements} from '../../../src/lib/results/index.js'
import {BENCH_RECORD_BASE} from '../../helpers/bench-record.js'

const Q4 = 'a'.repeat(64)
const Q8 = 'b'.repeat(64)
const summary = (mean: number) => ({mean, sd: 0, samples: [mean, mean]})

function speed(sha256: string, timestamp: string, tg: number, extra: Partial<SpeedRecord> = {}): SpeedRecord {
  return {
    ...BENCH_RECORD_BASE,
    runId: `speed ${timestamp}`,
    timestamp,
    model: {...BENCH_RECORD_BASE.model, sha256},
    kind: 'speed',
    task: 'speed',
    settings: {promptTokens: 512, generateTokens: 128, repetitions: 2, warmup: true, contextSize: 640, batchSize: 512, flashAttention: false, threads: 2},
    speed: {pp: {name: 'pp512', tokens: 512, tokensPerSecond: summary(10 * tg)}, tg: {name: 'tg128', tokens: 128, tokensPerSecond: summary(tg)}, timeToFirstTokenMs: summary(5), peakRssBytes: 1, loadMs: 1},
    ...extra,
  }
}

// The shape the quality task writes (QualityRecord); built by hand, since this module only reads it.
function quality(sha256: string, timestamp: string, kldMean: number) {
  return {
    ...BENCH_RECORD_BASE,
    runId: `quality ${timestamp}`,
    timestamp,
    model: {...BENCH_RECORD_BASE.model, sha256},
    kind: 'quality',
    task: 'quality',
    quality: {
      reference: {id: 'synthetic:tiny', sha256: 'f'.repeat(64), fileType: 'F16'},
      text: 'clinical notes',
      positions: 400,
      kld: {mean: kldMean, low: kldMean / 2, high: kldMean * 2},
      top1: {rate: 0.9, low: 0.85, high: 0.94},
    },
  }
}

describe('selectMeasurements', () => {
  it('takes the newest speed and the newest quality record of each file, in any line order', () => {
    const records = [
      speed(Q4, '2026-12-01T10:00:00.000Z', 30),
      quality(Q4, '2026-12-01T12:00:00.000Z', 0.02),
      speed(Q4, '2026-12-01T11:00:00.000Z', 40),
      speed(Q4, '2026-12-01T09:00:00.000Z', 50),
      quality(Q4, '2026-12-01T08:00:00.000Z', 0.5),
      speed(Q8, '2026-12-01T10:00:00.000Z', 20),
    ]
    const measured = selectMeasurements(records, [Q4, Q8, 'c'.repeat(64)])
    expect([...measured.keys()].sort()).toEqual([Q4, Q8])
    expect(measured.get(Q4)).toEqual({
      sha256: Q4,
      speed: {pp: {name: 'pp512', tokensPerSecond: 400}, tg: {name: 'tg128', tokensPerSecond: 40}, threads: 2, measuredAt: '2026-12-01T11:00:00.000Z', runId: 'speed 2026-12-01T11:00:00.000Z'},
      quality: {
        reference: {id: 'synthetic:tiny', sha256: 'f'.repeat(64), fileType: 'F16'},
        positions: 400,
        kld: {mean: 0.02, low: 0.01, high: 0.04},
        top1: {rate: 0.9, low: 0.85, high: 0.94},
        measuredAt: '2026-12-01T12:00:00.000Z',
        runId: 'quality 2026-12-01T12:00:00.000Z',
      },
    })
    expect(measured.get(Q8)).toMatchObject({speed: {tg: {tokensPerSecond: 20}}, quality: null})
  })

  it('lets the later line win a tie, and leaves out other files, LoRA runs, depth runs and malformed records', () => {
    const at = '2026-12-01T10:00:00.000Z'
    const later = '2026-12-02T10:00:00.000Z'
    const brokenSpeed = speed(Q4, later, 99)
    const brokenQuality = quality(Q4, later, 0.9)
    const records = [
      speed(Q4, at, 1),
      speed(Q4, at, 2),
      speed(Q8, later, 99),
      speed(Q4, later, 99, {lora: [{path: 'a.gguf', scale: 1, sha256: 'd'.repeat(64)}]}),
      speed(Q4, later, 99, {settings: {...speed(Q4, at, 1).settings, depth: 4096} as SpeedRecord['settings']}),
      {...brokenSpeed, speed: {...brokenSpeed.speed, tg: {name: 'tg128', tokens: 128, tokensPerSecond: {mean: 'fast'}}}},
      {...brokenQuality, quality: {...brokenQuality.quality, kld: {mean: 0.9}}},
      {kind: 'speed', model: {sha256: Q4}},
      'not an object',
      null,
    ]
    const measured = selectMeasurements(records, [Q4])
    expect([...measured.keys()]).toEqual([Q4])
    expect(measured.get(Q4)).toMatchObject({speed: {tg: {tokensPerSecond: 2}}, quality: null})
  })
})
