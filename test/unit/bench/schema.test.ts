import {describe, expect, it} from 'vitest'

import {BENCH_RECORD_BASE} from '../../helpers/bench-record.js'
import {benchResultSchema, validate, validateBenchRecord} from './json-schema.js'

const valid = {
  ...BENCH_RECORD_BASE,
  durationMs: 3,
  kind: 'accuracy',
  task: 'medqa',
  settings: {scoring: 'loglik', limit: 20, shots: 0, contextSize: null, maxTokens: null},
  accuracy: {n: 4, correct: 2, accuracy: 0.5, ci95: [0.15, 0.85], truncated: 0, unanswered: 0, subtasks: {anatomy: {n: 1, correct: 1, accuracy: 1, ci95: [0.2, 1]}}},
  files: ['/data/medqa_us4_test.jsonl'],
}

const mutate = (change: (record: Record<string, any>) => void): Record<string, any> => {
  const copy = structuredClone(valid) as Record<string, any>
  change(copy)
  return copy
}

describe('schemas/bench-result.schema.json', () => {
  it('accepts a well-formed accuracy record', () => {
    expect(validateBenchRecord(valid)).toEqual([])
  })

  it.each([
    ['a missing fingerprint', (r: Record<string, any>) => delete r.hardware],
    ['an unknown field', (r: Record<string, any>) => (r.extra = 1)],
    ['an accuracy above 1', (r: Record<string, any>) => (r.accuracy.accuracy = 1.5)],
    ['a three-sided interval', (r: Record<string, any>) => (r.accuracy.ci95 = [0, 0.5, 1])],
    ['a short sha256', (r: Record<string, any>) => (r.model.sha256 = 'abc')],
    ['an unknown task', (r: Record<string, any>) => (r.task = 'usmle')],
    ['an unknown scoring mode', (r: Record<string, any>) => (r.settings.scoring = 'vibes')],
    ['speed figures on an accuracy record', (r: Record<string, any>) => (r.kind = 'speed')],
    ['a fractional count', (r: Record<string, any>) => (r.accuracy.n = 2.5)],
    ['a local-time timestamp', (r: Record<string, any>) => (r.timestamp = '2026-11-21 23:47')],
  ])('rejects %s', (_name, change) => {
    expect(validateBenchRecord(mutate(change)).length).toBeGreaterThan(0)
  })

  const {accuracy: _accuracy, files: _files, ...common} = valid
  const speed = {
    ...common,
    kind: 'speed',
    task: 'speed',
    settings: {promptTokens: 512, generateTokens: 128, repetitions: 2, warmup: true, contextSize: 768, batchSize: 512, flashAttention: 'auto', threads: 1, threadChoice: '1 thread (set by free: 1.0 of 2 cores free, llama.cpp without OpenMP)', busyCores: 1},
    speed: {
      pp: {name: 'pp512', tokens: 512, tokensPerSecond: {mean: 100, sd: 1, samples: [99, 101]}},
      tg: {name: 'tg128', tokens: 128, tokensPerSecond: {mean: 10, sd: 0, samples: [10, 10]}},
      timeToFirstTokenMs: {mean: 5, sd: 0, samples: [5, 5]},
      peakRssBytes: 1000,
      loadMs: 2,
    },
    rounds: [{load1: 1.2, pp: 99, tg: 10, baselinePp: 100, baselineTg: 11}, {load1: 1.3, pp: 101, tg: 10, baselinePp: 102, baselineTg: 11}],
    baseline: {tool: 'llama-bench', path: '/tmp/llama-bench', build: 'de3ff81', pp: {mean: 101, sd: 1.4, samples: [100, 102]}, tg: {mean: 11, sd: 0, samples: [11, 11]}},
    ratio: {pp: 0.99, tg: 0.91},
  }
  const mutateSpeed = (change: (record: Record<string, any>) => void): Record<string, any> => {
    const copy = structuredClone(speed) as Record<string, any>
    change(copy)
    return copy
  }

  it('accepts a speed record with its rounds, llama-bench baseline and ratio, and one without them', () => {
    expect(validateBenchRecord(speed)).toEqual([])
    expect(validateBenchRecord(mutateSpeed((r) => {
      delete r.rounds
      delete r.baseline
      delete r.ratio
      delete r.settings.threads
      delete r.settings.threadChoice
      delete r.settings.busyCores
    }))).toEqual([])
  })

  it.each([
    ['a round without its load', (r: Record<string, any>) => delete r.rounds[0].load1],
    ['an empty round list', (r: Record<string, any>) => (r.rounds = [])],
    ['another baseline tool', (r: Record<string, any>) => (r.baseline.tool = 'ollama')],
    ['a baseline without figures', (r: Record<string, any>) => delete r.baseline.tg],
    ['a negative ratio', (r: Record<string, any>) => (r.ratio.tg = -1)],
    ['zero threads', (r: Record<string, any>) => (r.settings.threads = 0)],
    ['fractional busy cores', (r: Record<string, any>) => (r.settings.busyCores = 0.5)],
  ])('rejects a speed record with %s', (_name, change) => {
    expect(validateBenchRecord(mutateSpeed(change)).length).toBeGreaterThan(0)
  })

  it('has only resolvable local references', () => {
    const refs = JSON.stringify(benchResultSchema).match(/"\$ref":"[^"]+"/g) ?? []
    expect(refs.length).toBeGreaterThan(10)
    for (const ref of new Set(refs)) expect(() => validate(null, {$ref: JSON.parse(`{${ref}}`).$ref}, benchResultSchema)).not.toThrow()
  })
})
