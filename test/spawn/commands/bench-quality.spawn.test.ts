import {mkdtemp, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../../helpers/spawn-cli.js'
import {validateBenchRecord} from '../../unit/bench/json-schema.js'

let cacheDir: string
let env: Record<string, string>

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'jsl-med-bench-quality-spawn-'))
  env = {JSL_MED_CACHE_DIR: cacheDir, JSL_MED_THREADS: '', JSL_MED_BENCH_DATA_DIR: '', JSL_MED_LLAMA_BENCH: ''}
})
afterAll(() => rm(cacheDir, {recursive: true, force: true}))

describe('bin/run.js bench --tasks quality (spawned, real llama.cpp, synthesized models)', () => {
  it('ranks Q4_0 and Q8_0 of the same random F16 weights: KLD(q4) > KLD(q8) > 0, agreement(q8) ≥ agreement(q4)', async () => {
    const {code, stdout, stderr} = await runCli(['bench', '--synthetic', 'tiny', '--quant', 'q4,q8', '--tasks', 'quality', '--threads', '1', '--no-store'], '', env)
    expect(code, stderr).toBe(0)
    const records = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line))
    for (const record of records) expect(validateBenchRecord(record)).toEqual([])
    expect(records.map((r) => [r.kind, r.task, r.quant, r.model.fileType])).toEqual([
      ['quality', 'quality', 'q4', 'Q4_0'],
      ['quality', 'quality', 'q8', 'Q8_0'],
    ])
    const [q4, q8] = records.map((r) => r.quality)
    // The reference is the q16 of the same random weights, synthesized for the comparison.
    expect(await readdir(join(cacheDir, 'synthetic'))).toContain('llama-tiny-F16-seed1.gguf')
    for (const quality of [q4, q8]) {
      expect(quality).toMatchObject({reference: {id: 'synthetic:tiny', fileType: 'F16'}, text: 'builtin'})
      expect(quality.positions).toBeGreaterThan(500)
    }

    expect(q8.positions).toBe(q4.positions)
    expect(q4.kld.mean).toBeGreaterThan(q8.kld.mean)
    expect(q8.kld.mean).toBeGreaterThan(0)
    expect(q8.top1.rate).toBeGreaterThanOrEqual(q4.top1.rate)
    // The figures on stderr's table, one row per quantization.
    expect(stderr.split('\n').filter((line) => /\| quality vs F16 \(builtin\) +\| KLD /.test(line))).toHaveLength(2)
  })

  it('measures speed at a context depth with llama-bench names, next to the unchanged depth-0 record', async () => {
    const args = ['bench', '--synthetic', 'tiny', '--depth', '0,64', '-r', '1', '-p', '16', '-n', '4', '--threads', '1', '--no-store']
    const {code, stdout, stderr} = await runCli(args, '', env)
    expect(code, stderr).toBe(0)
    const records = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line))
    for (const record of records) expect(validateBenchRecord(record)).toEqual([])
    expect(records.map((r) => [r.kind, r.speed.pp.name, r.speed.tg.name, r.settings.depth])).toEqual([
      ['speed', 'pp16', 'tg4', undefined],
      ['speed', 'pp16 @ d64', 'tg4 @ d64', 64],
    ])
    expect(records[1].settings.contextSize).toBeGreaterThanOrEqual(64 + 16 + 4)
    expect(stderr).toMatch(/\| tg4 @ d64 +\| /)
  })
})
