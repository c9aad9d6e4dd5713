import {mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {root, runCli} from '../../helpers/spawn-cli.js'
import {validateBenchRecord} from '../../unit/bench/json-schema.js'

const tinyModel = inject('tinyModelPath')
const dataDir = join(root, 'test/fixtures/bench')
let cacheDir: string
let env: Record<string, string>

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'jsl-med-bench-spawn-'))
  env = {JSL_MED_CACHE_DIR: cacheDir, JSL_MED_DATA_DIR: join(cacheDir, 'data'), JSL_MED_THREADS: '', JSL_MED_BENCH_DATA_DIR: '', JSL_MED_LLAMA_BENCH: ''}
})
afterAll(() => rm(cacheDir, {recursive: true, force: true}))

/** Parses stdout as NDJSON and checks every line against schemas/bench-result.schema.json. */
function records(stdout: string): Array<Record<string, any>> {
  const lines = stdout.split('\n').filter(Boolean)
  return lines.map((line) => {
    const record = JSON.parse(line)
    expect(validateBenchRecord(record), line.slice(0, 200)).toEqual([])
    return record
  })
}

describe('bin/run.js bench (spawned, real llama.cpp)', () => {
  let speedLines = ''

  it('measures a synthetic model in two quantizations: schema-valid NDJSON on stdout, the table on stderr', async () => {
    const {code, stdout, stderr} = await runCli(['bench', '--synthetic', 'tiny', '--quant', 'q4,q8', '-r', '2', '-p', '64', '-n', '8', '--threads', '1', '--verbose'], '', env)
    expect(code, stderr).toBe(0)
    const lines = records(stdout)
    expect(lines.map((r) => [r.kind, r.quant, r.model.fileType, r.synthetic, r.model.id])).toEqual([
      ['speed', 'q4', 'Q4_0', true, 'synthetic:tiny'],
      ['speed', 'q8', 'Q8_0', true, 'synthetic:tiny'],
    ])
    expect(lines[0]).toMatchObject({hardware: {threads: 1}, settings: {promptTokens: 64, generateTokens: 8, repetitions: 2}, speed: {pp: {name: 'pp64'}, tg: {name: 'tg8'}}})
    expect(lines[0].runId).toBe(lines[1].runId)
    expect(stderr).toMatch(/\| model +\| quant .*\| test +\| result/)
    expect(stderr).toMatch(/\| synthetic:tiny \| q8 .*\| tg8 /)
    expect(await readdir(join(cacheDir, 'synthetic'))).toEqual(['llama-tiny-Q4_0-seed1.gguf', 'llama-tiny-Q8_0-seed1.gguf'])
    speedLines = stdout
  })

  it('scores the accuracy tasks on fixture data with --limit 20, reusing the cached synthetic model, and writes -o FILE', async () => {
    const output = join(cacheDir, 'accuracy.ndjson')
    const args = ['bench', '--synthetic', 'tiny', '--tasks', 'medqa,medmcqa,pubmedqa,mmlu-med', '--limit', '20', '--data-dir', dataDir, '--threads', '1', '-o', output]
    const {code, stdout, stderr} = await runCli(args, '', env)
    expect(code, stderr).toBe(0)
    expect(stdout).toBe('')
    const lines = records(await readFile(output, 'utf8'))
    expect(lines.map((r) => [r.task, r.accuracy.n])).toEqual([
      ['medqa', 6],
      ['medmcqa', 5],
      ['pubmedqa', 4],
      ['mmlu-med', 14],
      ['medical', 29],
    ])
    for (const line of lines) expect(line.accuracy.correct).toBeLessThanOrEqual(line.accuracy.n)
    expect(lines[4].accuracy.correct).toBe(lines.slice(0, 4).reduce((sum, r) => sum + r.accuracy.correct, 0))
    expect(lines[0].model.sha256).toBe(JSON.parse(speedLines.split('\n')[0]).model.sha256)
    expect(stderr).toMatch(/medical \(loglik, 0-shot\)/)
  })

  it('runs generate scoring and NER on a model file', async () => {
    const args = ['bench', '-m', tinyModel, '--tasks', 'medqa,ner', '--scoring', 'generate', '--limit', '2', '--max-tokens', '24', '--data-dir', dataDir, '--threads', '1']
    const {code, stdout, stderr} = await runCli(args, '', env)
    expect(code, stderr).toBe(0)
    const lines = records(stdout)
    expect(lines.map((r) => [r.kind, r.task, r.quant, r.synthetic])).toEqual([
      ['accuracy', 'medqa', 'f32', false],
      ['ner', 'ner', 'f32', false],
    ])
    expect(lines[1].ner).toMatchObject({documents: 2, goldMentions: 14})
  })

  it('chooses the threads itself, runs --llama-bench first in every round and keeps --busy-cores busy meanwhile', async () => {
    const llamaBench = join(root, 'test/fixtures/bin/fake-llama-bench.mjs')
    const args = ['bench', '-m', tinyModel, '-r', '2', '-p', '16', '-n', '4', '--llama-bench', llamaBench, '--busy-cores', '1']
    const {code, stdout, stderr} = await runCli(args, '', env)
    expect(code, stderr).toBe(0)
    const [record] = records(stdout)
    expect(record.settings).toMatchObject({repetitions: 2, busyCores: 1})
    expect(record.settings.threadChoice).toMatch(/^\d+ threads? \(set by /)
    expect(record.hardware.threads).toBe(record.settings.threads)
    expect(record.rounds).toHaveLength(2)
    expect(record.rounds[0]).toMatchObject({baselinePp: 1000, baselineTg: 100})
    expect(record.baseline).toMatchObject({tool: 'llama-bench', build: 'fake000', tg: {samples: [100, 100]}})
    expect(stderr).toMatch(/\| tg4 llama-bench +\| 100\.00 ± 0\.00 t\/s \(jsl-med \/ llama-bench \d/)
    expect(record.ratio.tg).toBeCloseTo(record.speed.tg.tokensPerSecond.samples.sort((a: number, b: number) => a - b).reduce((a: number, b: number) => a + b) / 2 / 100, 6)
  })

  it('returns one JSON document with --json', async () => {
    const {code, stdout} = await runCli(['bench', '-m', tinyModel, '-r', '1', '-p', '16', '-n', '4', '--threads', '1', '--json'], '', env)
    expect(code).toBe(0)
    const document = JSON.parse(stdout)
    expect(document.records).toHaveLength(1)
    expect(validateBenchRecord(document.records[0])).toEqual([])
  })

  it('compares two runs: exit 0 without regressions, exit 9 with one beyond --threshold', async () => {
    const a = join(cacheDir, 'a.ndjson')
    const b = join(cacheDir, 'b.ndjson')
    await writeFile(a, speedLines)
    const same = await runCli(['bench', '--compare', a, a], '', env)
    expect(same.code, same.stderr).toBe(0)
    const deltas = same.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line))
    expect(deltas.length).toBe(8)
    expect(deltas.every((d) => d.delta === 0 && d.regression === false)).toBe(true)

    const slower = speedLines
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const record = JSON.parse(line)
        record.speed.tg.tokensPerSecond.mean /= 2
        return JSON.stringify(record)
      })
    await writeFile(b, slower.join('\n') + '\n')
    const regressed = await runCli(['bench', '--compare', a, b, '--threshold', '20'], '', env)
    expect(regressed.code).toBe(9)
    expect(regressed.stderr).toMatch(/Error \[E_REGRESSION]: 2 of 4 compared figures regressed by more than 20%/)
    expect(regressed.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line)).filter((d) => d.regression)).toHaveLength(2)

    const broken = await runCli(['bench', '--compare', a, join(root, 'package.json')], '', env)
    expect(broken.code).toBe(8)
    expect(broken.stderr).toMatch(/E_BAD_JSON|E_BAD_RECORD/)
  })

  it('refuses more threads than cores, missing datasets, a missing model and --quant with a file', async () => {
    const threads = await runCli(['bench', '-m', tinyModel, '--threads', '64'], '', env)
    expect([threads.code, threads.stdout]).toEqual([2, ''])
    expect(threads.stderr).toMatch(/E_THREADS/)
    // MedMCQA has no single-file download (medqa's download is tested against a local server in bench-datasets).
    const noData = await runCli(['bench', '-m', tinyModel, '--tasks', 'medmcqa'], '', {...env, JSL_MED_DATA_DIR: join(cacheDir, 'data-home')})
    expect(noData.code).toBe(2)
    expect(noData.stderr).toMatch(/E_DATASET_NOT_DOWNLOADABLE[\s\S]*Hint: .*--data-dir/)
    const missing = await runCli(['bench', '-m', 'missing.gguf'], '', env)
    expect(missing.code).toBe(4)
    const quant = await runCli(['bench', '-m', tinyModel, '--quant', 'q8'], '', env)
    expect(quant.code).toBe(2)
    expect(quant.stderr).toMatch(/E_QUANT/)
    const task = await runCli(['bench', '--synthetic', 'tiny', '--tasks', 'speed,usmle'], '', env)
    expect(task.code).toBe(2)
    expect(task.stderr).toMatch(/unknown task 'usmle'/)
  })

  it('refuses --text without --tasks quality and --depth without speed (exit 2), and a missing --reference with its own hint (exit 4)', async () => {
    const text = await runCli(['bench', '-m', tinyModel, '--text', join(root, 'README.md')], '', env)
    expect([text.code, text.stdout]).toEqual([2, ''])
    expect(text.stderr).toMatch(/Error \[E_TEXT]: --text [\s\S]*Hint: .*--tasks/)
    expect(text.stderr).toMatch(/Hint: .*quality/)
    const depth = await runCli(['bench', '-m', tinyModel, '--tasks', 'quality', '--reference', tinyModel, '--depth', '0,64'], '', env)
    expect([depth.code, depth.stdout]).toEqual([2, ''])
    expect(depth.stderr).toMatch(/Error \[E_DEPTH]: --depth [\s\S]*Hint: .*speed/)
    const reference = await runCli(['bench', '-m', tinyModel, '--tasks', 'quality', '--reference', 'missing-f16.gguf'], '', env)
    expect([reference.code, reference.stdout]).toEqual([4, ''])
    expect(reference.stderr).toMatch(/Error \[E_REFERENCE_NOT_FOUND]: .*--reference.*missing-f16\.gguf[\s\S]*Hint: .*--reference/)
    expect(reference.stderr).not.toMatch(/--synthetic 0\.5b/)
  })
})
