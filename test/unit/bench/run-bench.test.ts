import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {BenchRecord} from '../../../src/lib/bench/index.js'
import {formatBenchTable} from '../../../src/lib/cli/index.js'
import type {BenchModel, BenchModelInfo, Engine, Generation} from '../../../src/lib/engine/index.js'
import {root} from '../../helpers/spawn-cli.js'
import {runBench, type RunBenchOptions} from '../../../src/lib/use-cases/index.js'
import {validateBenchRecord} from './json-schema.js'

const dataDir = join(root, 'test/fixtures/bench')
let dir: string
let modelPath: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jsl-med-bench-unit-'))
  modelPath = join(dir, 'fake.gguf')
  await writeFile(modelPath, 'GGUF not really a model')
})
afterAll(() => rm(dir, {recursive: true, force: true}))

const info: BenchModelInfo = {
  modelPath: '',
  fileType: 'Q4_K_M',
  parameterCount: 1_234_567,
  architecture: 'llama',
  trainContextSize: 2048,
  vocabSize: 512,
  addBos: false,
  threads: 1,
  gpu: false,
  gpuDevices: [],
  llamaCpp: {release: 'v0.5.0', repo: 'ggml-org/llama.cpp', buildType: 'prebuilt'},
  nodeLlamaCppVersion: '3.22.1',
  systemInfo: 'CPU : AVX2 = 1 | AVX512 = 0 |',
  loadMs: 12.5,
}

/** A fake bench model: pp 100, 101, … per repetition, tg 10, and log-likelihoods that always prefer the first choice. */
function fakeModel(events: string[]): BenchModel {
  let done = 0
  return {
    info,
    async measureSpeed(options = {}) {
      events.push(options.threads === undefined ? 'speed' : `speed t${options.threads}`)
      const repetitions = options.repetitions ?? 5
      done += repetitions
      return {
        promptTokens: options.promptTokens ?? 512,
        generateTokens: options.generateTokens ?? 128,
        promptTokensPerSecond: Array.from({length: repetitions}, (_, i) => 100 + done - repetitions + i),
        generateTokensPerSecond: Array.from({length: repetitions}, () => 10),
        timeToFirstTokenMs: Array.from({length: repetitions}, () => 50),
        peakRssBytes: 1_000_000,
        contextSize: 768,
        batchSize: 512,
        flashAttention: 'auto',
      }
    },
    async scoreChoices(_context, continuations) {
      return {scores: continuations.map((_, i) => ({logprob: -i, greedy: i === 0, tokens: 1})), contextTokens: 5, truncated: false}
    },
    tokenize: (text) => [...text].map((char) => char.charCodeAt(0) % 512),
    async nextTokenLogits() {
      return 0
    },
    async dispose() {
      events.push('dispose model')
    },
  }
}

function fakeEngine(events: string[]): Engine {
  return {
    info: {kind: 'echo', contextSize: 4096, sequences: 1, threads: 1, gpu: false, chatWrapper: 'none'},
    countTokens: () => 0,
    countPromptTokens: () => 0,
    async chat(request): Promise<Generation> {
      const text = request.schema ? '{"entities":[]}' : 'A'
      return {text, json: request.schema ? {entities: []} : undefined, stopReason: 'endOfText', promptTokens: 1, outputTokens: 1, durationMs: 1}
    },
    async dispose() {
      events.push('dispose engine')
    },
  }
}

async function run(overrides: Partial<RunBenchOptions>, events: string[] = []): Promise<BenchRecord[]> {
  const streamed: BenchRecord[] = []
  const records = await runBench({
    models: [{id: 'fake.gguf', path: modelPath, synthetic: false}],
    tasks: ['speed'],
    threads: 1,
    jslMedVersion: '9.9.9',
    runId: 'run-1',
    dataDir,
    cacheDir: dir,
    openBenchModel: async () => {
      events.push('open model')
      return fakeModel(events)
    },
    createEngine: async () => {
      events.push('open engine')
      return fakeEngine(events)
    },
    onRecord: (record) => {
      streamed.push(record)
    },
    ...overrides,
  })
  expect(streamed).toEqual(records)
  for (const record of records) expect(validateBenchRecord(JSON.parse(JSON.stringify(record)))).toEqual([])
  return records
}

describe('runBench', () => {
  it('writes one schema-valid speed record with the fingerprint, versions and mean ± sd', async () => {
    const [record] = await run({repetitions: 3, seed: 42})
    expect(record).toMatchObject({
      schemaVersion: 1,
      runId: 'run-1',
      kind: 'speed',
      task: 'speed',
      quant: 'q4_k_m',
      synthetic: false,
      seed: 42,
      model: {id: 'fake.gguf', fileType: 'Q4_K_M', sizeBytes: 23, parameterCount: 1_234_567},
      software: {jslMed: '9.9.9', nodeLlamaCpp: '3.22.1', llamaCpp: {release: 'v0.5.0'}, node: process.version},
      hardware: {threads: 1, backend: 'cpu', gpus: [], cpu: {features: ['AVX2']}},
      settings: {promptTokens: 512, generateTokens: 128, repetitions: 3, warmup: true},
      speed: {pp: {name: 'pp512', tokensPerSecond: {mean: 101, sd: 1, samples: [100, 101, 102]}}, tg: {name: 'tg128', tokensPerSecond: {mean: 10, sd: 0}}, loadMs: 12.5},
    })
    expect(record.model.sha256).toMatch(/^[0-9a-f]{64}$/)
    // The digest is cached by path, size and mtime.
    expect(JSON.parse(await readFile(join(dir, 'bench-sha256.json'), 'utf8'))[modelPath].sha256).toBe(record.model.sha256)
  })

  it('scores every accuracy task on one model load and micro-averages them into a medical record', async () => {
    const events: string[] = []
    const records = await run({tasks: ['speed', 'medqa', 'medmcqa', 'pubmedqa', 'mmlu-med'], limit: 2}, events)
    expect(events).toEqual(['open model', 'speed t1', 'speed t1', 'speed t1', 'speed t1', 'speed t1', 'dispose model'])
    expect(records.map((r) => r.task)).toEqual(['speed', 'medqa', 'medmcqa', 'pubmedqa', 'mmlu-med', 'medical'])
    const byTask = Object.fromEntries(records.map((r) => [r.task, r]))
    // The fake always picks the first choice: the fixtures' first golds are C,B (medqa), B,A (medmcqa), yes,no (pubmedqa).
    expect(byTask.medqa).toMatchObject({accuracy: {n: 2, correct: 0}, settings: {scoring: 'loglik', limit: 2, shots: 0}})
    expect(byTask.medmcqa).toMatchObject({accuracy: {n: 2, correct: 1}})
    expect(byTask.pubmedqa).toMatchObject({accuracy: {n: 2, correct: 1}})
    expect(byTask['mmlu-med']).toMatchObject({accuracy: {n: 12}})
    expect(Object.keys((byTask['mmlu-med'] as {accuracy: {subtasks: object}}).accuracy.subtasks)).toHaveLength(6)
    const medical = byTask.medical as Extract<BenchRecord, {kind: 'accuracy'}>
    const parts = records.filter((r) => r.kind === 'accuracy' && r.task !== 'medical') as Array<typeof medical>
    expect(medical.accuracy.n).toBe(parts.reduce((sum, r) => sum + r.accuracy.n, 0))
    expect(medical.accuracy.correct).toBe(parts.reduce((sum, r) => sum + r.accuracy.correct, 0))
    expect(medical.tasks).toEqual(['medqa', 'medmcqa', 'pubmedqa', 'mmlu-med'])
    expect(formatBenchTable(records)).toMatch(/\| medqa \(loglik, 0-shot\) +\| 0\.0% \[0\.0%–65\.8%\] n=2/)
  })

  it('loads a chat engine after the bench model for generate scoring and NER, never both at once', async () => {
    const events: string[] = []
    const records = await run({tasks: ['medqa', 'ner', 'ner-ncbi', 'pubmedqa'], scoring: 'generate', limit: 3}, events)
    expect(events).toEqual(['open model', 'dispose model', 'open engine', 'dispose engine'])
    expect(records.map((r) => `${r.kind}:${r.task}`)).toEqual(['accuracy:medqa', 'accuracy:pubmedqa', 'accuracy:medical', 'ner:ner', 'ner:ner-ncbi'])
    // The fake engine always answers "A": medqa's first golds are C, B, A; pubmedqa's answers are words, so "A" is unanswered.
    expect(records[0]).toMatchObject({accuracy: {n: 3, correct: 1}, settings: {scoring: 'generate', maxTokens: 16}})
    expect(records[1]).toMatchObject({accuracy: {n: 3, correct: 0, unanswered: 3}})
    expect(records[2]).toMatchObject({accuracy: {n: 6, correct: 1, unanswered: 3}, tasks: ['medqa', 'pubmedqa']})
    expect(records[3]).toMatchObject({ner: {documents: 3, goldMentions: 21, predictedMentions: 0, strict: {tp: 0, fn: 21}}})
    expect(records[4]).toMatchObject({ner: {documents: 2, labels: ['Disease']}})
  })

  it('runs llama-bench first in every round, at the same threads, and records the rounds, the baseline and the ratio', async () => {
    const events: string[] = []
    const [record] = (await run({
      repetitions: 3,
      threads: 2,
      llamaBench: '/opt/llama-bench',
      runLlamaBench: async (options) => {
        events.push(`llama-bench t${options.threads} -p ${options.promptTokens} -n ${options.generateTokens} -r ${options.repetitions ?? 1}`)
        return {pp: 200, tg: events.length === 4 ? 5 : 20, threads: options.threads, build: 'de3ff81'}
      },
      promptTokens: 64,
      generateTokens: 8,
    }, events)) as Array<Extract<BenchRecord, {kind: 'speed'}>>
    expect(events).toEqual(['open model', 'llama-bench t2 -p 64 -n 8 -r 1', 'speed t2', 'llama-bench t2 -p 64 -n 8 -r 1', 'speed t2', 'llama-bench t2 -p 64 -n 8 -r 1', 'speed t2', 'dispose model'])
    expect(record.settings).toMatchObject({threads: 2, threadChoice: 'set by --threads', repetitions: 3})
    expect(record.hardware.threads).toBe(2)
    expect(record.rounds).toHaveLength(3)
    expect(record.rounds![0]).toMatchObject({pp: 100, tg: 10, baselinePp: 200, baselineTg: 20})
    expect(record.rounds![0].load1).toBeGreaterThanOrEqual(0)
    expect(record.baseline).toMatchObject({tool: 'llama-bench', path: '/opt/llama-bench', build: 'de3ff81', pp: {samples: [200, 200, 200]}, tg: {samples: [20, 5, 20]}})
    // Medians: jsl-med pp 101 / 200, tg 10 / 20 (the disturbed baseline round does not count).
    expect(record.ratio).toEqual({pp: 101 / 200, tg: 0.5})
  })

  it('chooses the speed threads itself without --threads, and says why', async () => {
    const [record] = (await run({threads: undefined, repetitions: 1})) as Array<Extract<BenchRecord, {kind: 'speed'}>>
    expect(record.settings.threads).toBeGreaterThanOrEqual(1)
    expect(record.settings.threadChoice).toMatch(/^\d+ threads? \(set by (physical|affinity|quota|free): .*without OpenMP\)(; pp at \d+ .*)?$/)
    expect(record.hardware.threads).toBe(record.settings.threads)
    expect(record.rounds).toHaveLength(1)
    expect(record).not.toHaveProperty('baseline')
  })

  it('refuses accuracy tasks without a data directory, and reports a missing dataset file before loading a model', async () => {
    const events: string[] = []
    await expect(run({tasks: ['medqa'], dataDir: undefined}, events)).rejects.toMatchObject({code: 'E_NO_DATA', exitCode: 2})
    await expect(run({tasks: ['medqa'], dataDir: dir}, events)).rejects.toMatchObject({code: 'E_DATASET_MISSING', exitCode: 8})
    expect(events).toEqual([])
  })
})
