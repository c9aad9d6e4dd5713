import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BUILTIN_CLINICAL_NOTES, compareRecords, llamaBenchTestName, parseDepths, type BenchModelSpec, type BenchRecord, type QualityRecord, type SpeedRecord} from '../../../src/lib/bench/index.js'
import {formatBenchTable} from '../../../src/lib/cli/index.js'
import type {BenchModel, BenchModelInfo, SpeedOptions} from '../../../src/lib/engine/index.js'
import {prepareBench, runBench, type PrepareBenchOptions, type RunBenchOptions} from '../../../src/lib/use-cases/index.js'
import {validateBenchRecord} from './json-schema.js'

const VOCAB = 16
let dir: string
const paths: Record<string, string> = {}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jsl-med-quality-unit-'))
  for (const name of ['f16', 'q8', 'q4', 'other']) {
    paths[name] = join(dir, `${name}.gguf`)
    await writeFile(paths[name], `not a model: ${name}`)
  }
})
afterAll(() => rm(dir, {recursive: true, force: true}))

const info = (fileType: string, vocabSize = VOCAB): BenchModelInfo => ({
  modelPath: '',
  fileType,
  architecture: 'llama',
  trainContextSize: 2048,
  vocabSize,
  addBos: false,
  threads: 1,
  gpu: false,
  gpuDevices: [],
  llamaCpp: {release: 'v0.5.0', repo: 'ggml-org/llama.cpp', buildType: 'prebuilt'},
  nodeLlamaCppVersion: '3.22.1',
  systemInfo: 'CPU : AVX2 = 1 |',
  loadMs: 1,
})

/**
 * A fake model whose next-token logits are a fixed function of the previous token, plus `noise` times a fixed
 * perturbation: the reference has none, a "q8" a little, a "q4" more.
 */
function fakeModel(fileType: string, noise: number, events: string[], options: {vocab?: number; speeds?: SpeedOptions[]} = {}): BenchModel {
  const vocab = options.vocab ?? VOCAB
  return {
    info: info(fileType, vocab),
    async measureSpeed(speed = {}) {
      options.speeds?.push(speed)
      const repetitions = speed.repetitions ?? 5
      const samples = (value: number) => Array.from({length: repetitions}, () => value)
      return {
        promptTokens: speed.promptTokens ?? 512,
        generateTokens: speed.generateTokens ?? 128,
        promptTokensPerSecond: samples(speed.depth ? 50 : 100),
        generateTokensPerSecond: samples(10),
        timeToFirstTokenMs: samples(5),
        peakRssBytes: 1000,
        contextSize: (speed.depth ?? 0) + (speed.promptTokens ?? 512) + (speed.generateTokens ?? 128),
        batchSize: 512,
        flashAttention: 'auto',
      }
    },
    async scoreChoices() {
      throw new Error('not used')
    },
    tokenize: (text) => [...text].map((char) => char.charCodeAt(0) % VOCAB),
    async nextTokenLogits(tokens, {onLogits}) {
      events.push(`logits ${fileType}`)
      const logits = new Float32Array(vocab)
      for (let position = 0; position < tokens.length - 1; position++) {
        for (let token = 0; token < vocab; token++) logits[token] = Math.sin(tokens[position] * 7 + token * 3) * 2 + noise * Math.cos(token * 5 + position)
        await onLogits(position, logits)
      }

      return Math.max(0, tokens.length - 1)
    },
    async dispose() {
      events.push(`dispose ${fileType}`)
    },
  }
}

const spec = (name: string): BenchModelSpec => ({id: 'synthetic:tiny', path: paths[name], quant: name === 'f16' ? 'q16' : name, synthetic: true, shape: 'tiny'})

async function run(overrides: Partial<RunBenchOptions>, events: string[] = []): Promise<BenchRecord[]> {
  const models: Record<string, BenchModel> = {
    [paths.f16]: fakeModel('F16', 0, events),
    [paths.q8]: fakeModel('Q8_0', 0.05, events),
    [paths.q4]: fakeModel('Q4_0', 0.5, events),
    [paths.other]: fakeModel('Q4_0', 0.5, events, {vocab: VOCAB + 1}),
  }
  const records = await runBench({
    models: [spec('q4'), spec('q8'), spec('f16')],
    tasks: ['quality'],
    reference: spec('f16'),
    threads: 1,
    jslMedVersion: '9.9.9',
    runId: 'run-q',
    cacheDir: dir,
    openBenchModel: async ({modelPath}) => {
      events.push(`open ${modelPath.slice(dir.length + 1)}`)
      return models[modelPath]
    },
    onRecord: () => {},
    ...overrides,
  })
  for (const record of records) expect(validateBenchRecord(JSON.parse(JSON.stringify(record)))).toEqual([])
  return records
}

describe('bench --tasks quality (runBench with fake models)', () => {
  it('compares each quantization with the reference, loaded first and alone, and skips the reference itself', async () => {
    const events: string[] = []
    const records = (await run({}, events)) as QualityRecord[]
    expect(records.map((r) => [r.kind, r.task, r.quant])).toEqual([
      ['quality', 'quality', 'q4'],
      ['quality', 'quality', 'q8'],
    ])
    // The reference's logits are taken and the reference freed before any other model loads.
    expect(events.slice(0, 2 + BUILTIN_CLINICAL_NOTES.length + 1)).toEqual(['open f16.gguf', ...BUILTIN_CLINICAL_NOTES.map(() => 'logits F16'), 'dispose F16', 'open q4.gguf'])
    const positions = BUILTIN_CLINICAL_NOTES.reduce((sum, note) => sum + note.length - 1, 0)
    for (const record of records) {
      expect(record.quality).toMatchObject({reference: {id: 'synthetic:tiny', fileType: 'F16'}, text: 'builtin', positions})
      expect(record.quality.reference.sha256).toMatch(/^[0-9a-f]{64}$/)
      expect(record.quality.kld.low).toBeLessThanOrEqual(record.quality.kld.mean)
      expect(record.quality.kld.mean).toBeLessThanOrEqual(record.quality.kld.high)
      expect(record.quality.top1.low).toBeLessThanOrEqual(record.quality.top1.rate)
      expect(record.quality.top1.rate).toBeLessThanOrEqual(record.quality.top1.high)
    }

    const [q4, q8] = records.map((r) => r.quality)
    expect(q4.kld.mean).toBeGreaterThan(q8.kld.mean)
    expect(q8.kld.mean).toBeGreaterThan(0)
    expect(q8.top1.rate).toBeGreaterThanOrEqual(q4.top1.rate)
    const table = formatBenchTable(records)
    expect(table.split('\n').filter((line) => line.includes('quality vs F16 (builtin)'))).toHaveLength(2)
  })

  it('compares over a --text file, named by its base name', async () => {
    const text = join(dir, 'my-notes.txt')
    await writeFile(text, 'BP 120/80, HR 72. Continue metformin 500 mg twice daily.')
    const records = (await run({models: [spec('q8')], qualityText: text})) as QualityRecord[]
    expect(records[0].quality).toMatchObject({text: 'my-notes.txt', positions: 'BP 120/80, HR 72. Continue metformin 500 mg twice daily.'.length - 1})
  })

  it('needs a reference, and refuses one with another vocabulary', async () => {
    await expect(run({reference: undefined})).rejects.toMatchObject({code: 'E_NO_REFERENCE', exitCode: 2})
    await expect(run({models: [{...spec('q4'), path: paths.other}]})).rejects.toMatchObject({code: 'E_VOCAB'})
  })
})

describe('bench --tasks speed --depth (llama-bench -d)', () => {
  it('names tests as llama-bench does', () => {
    expect(llamaBenchTestName('pp', 512)).toBe('pp512')
    expect(llamaBenchTestName('tg', 128, 0)).toBe('tg128')
    expect(llamaBenchTestName('pp', 512, 4096)).toBe('pp512 @ d4096')
    expect(llamaBenchTestName('tg', 128, 4096)).toBe('tg128 @ d4096')
    expect(parseDepths('0, 4096,4096,512')).toEqual([0, 4096, 512])
    for (const bad of ['', 'x', '-1', '1.5']) expect(() => parseDepths(bad)).toThrow(/depth/)
  })

  it('writes one record per depth: depth 0 unchanged, the others with settings.depth and llama-bench names', async () => {
    const speeds: SpeedOptions[] = []
    const baselines: Array<{depth?: number}> = []
    const model = fakeModel('Q4_0', 0, [], {speeds})
    const options: Partial<RunBenchOptions> = {
      models: [spec('q4')],
      tasks: ['speed'],
      repetitions: 2,
      openBenchModel: async () => model,
      llamaBench: '/fake/llama-bench',
      runLlamaBench: async (run) => {
        baselines.push({depth: run.depth})
        return {pp: 200, tg: 20}
      },
    }
    const [plain] = (await run(options)) as SpeedRecord[]
    speeds.length = 0
    baselines.length = 0
    const records = (await run({...options, depths: [0, 4096]})) as SpeedRecord[]
    expect(records.map((r) => [r.speed.pp.name, r.speed.tg.name, r.settings.depth])).toEqual([
      ['pp512', 'tg128', undefined],
      ['pp512 @ d4096', 'tg128 @ d4096', 4096],
    ])
    expect('depth' in records[0].settings).toBe(false)
    const stable = ({runId, timestamp, durationMs, rounds, ...rest}: SpeedRecord) => ({...rest, rounds: rounds?.map(({load1, ...round}) => round)})
    expect(stable(records[0])).toEqual(stable(plain))
    expect(records[1].settings.contextSize).toBe(4096 + 512 + 128)
    expect(records[1].speed.pp.tokensPerSecond.mean).toBe(50)
    // Each round of each depth: jsl-med and llama-bench both at that depth (-d only when it is not 0).
    expect(speeds.map((s) => s.depth)).toEqual([undefined, undefined, 4096, 4096])
    expect(baselines.map((b) => b.depth)).toEqual([undefined, undefined, 4096, 4096])
    expect(formatBenchTable(records)).toMatch(/\| pp512 @ d4096 +\| 50\.00 ± 0\.00 t\/s/)
    expect(formatBenchTable(records)).toMatch(/\| ttft \(512\) @ d4096 +\| /)
    // --compare matches records depth by depth.
    const comparison = compareRecords(records, records, 10)
    expect(comparison.onlyInA).toEqual([])
    expect(comparison.deltas.map((delta) => delta.metric).filter((metric) => metric.endsWith('t/s'))).toEqual(['pp512 t/s', 'tg128 t/s', 'pp512 @ d4096 t/s', 'tg128 @ d4096 t/s'])
  })
})

describe('prepareBench: --reference, --text and --depth', () => {
  const prepare = (overrides: Partial<PrepareBenchOptions>) => prepareBench({models: [paths.q4], cacheDir: dir, env: {JSL_MED_MODELS_DIR: join(dir, 'models')}, ...overrides})

  it('refuses --text without the quality task and --depth without the speed task, naming the flag and the task it needs', async () => {
    await expect(prepare({speed: true, text: join(dir, 'notes.txt')})).rejects.toMatchObject({code: 'E_TEXT', exitCode: 2, message: expect.stringContaining('--text'), hint: expect.stringContaining('quality')})
    await expect(prepare({quality: true, depths: [0, 4096]})).rejects.toMatchObject({code: 'E_DEPTH', exitCode: 2, message: expect.stringContaining('--depth'), hint: expect.stringContaining('speed')})
    await expect(prepare({quality: true, reference: paths.f16, text: join(dir, 'notes.txt')})).resolves.toMatchObject({reference: {path: paths.f16}})
    await expect(prepare({speed: true, depths: [0, 4096]})).resolves.toMatchObject({models: [{path: paths.q4}]})
  })

  it('tells a missing --reference file apart from a missing --model, with a hint about the reference', async () => {
    const reference = join(dir, 'missing-f16.gguf')
    await expect(prepare({quality: true, reference})).rejects.toMatchObject({
      code: 'E_REFERENCE_NOT_FOUND',
      exitCode: 4,
      message: expect.stringContaining('--reference'),
      hint: expect.stringMatching(/--reference .*F16 or Q8_0 GGUF of the same weights/),
    })
    await expect(prepare({models: [join(dir, 'missing.gguf')]})).rejects.toMatchObject({code: 'E_MODEL_NOT_FOUND', hint: expect.not.stringContaining('--reference')})
  })
})
