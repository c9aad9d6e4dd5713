import {mkdtemp, readFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'

import {afterAll, describe, expect, inject, it} from 'vitest'

import {createEngine, type Engine} from '../../src/lib/engine/index.js'
import {openRecords} from '../../src/lib/io/index.js'
import {runTask} from '../../src/lib/pipeline/index.js'
import {nerTask} from '../../src/lib/tasks/index.js'
import {runCli} from '../helpers/spawn-cli.js'
import {memoryWriter} from '../helpers/streams.js'

const modelPath = inject('tinyModelPath')
const input = Array.from({length: 24}, (_, i) => JSON.stringify({id: `n${i}`, text: `Pt ${i} has CHF and takes lisinopril ${i} mg; denies chest pain.`})).join('\n') + '\n'
const engines: Engine[] = []

async function nerRun(sequences: number): Promise<Array<Record<string, unknown>>> {
  const engine = await createEngine({modelPath, gpu: 'off', threads: 1, contextSize: 4096, sequences})
  engines.push(engine)
  const writer = memoryWriter()
  const source = await openRecords(Readable.from([Buffer.from(input)]))
  await runTask({task: nerTask, engine, source, writer, settings: {maxTokens: 48, temperature: 0}, parallel: sequences})
  return writer.records()
}

afterAll(async () => {
  for (const engine of engines) await engine.dispose()
})

describe('-j (parallel sequences in one context, real llama.cpp)', () => {
  it('gives the same ids in the same order at -j 1 and -j 8', async () => {
    const one = await nerRun(1)
    const eight = await nerRun(8)
    expect(eight.map((r) => r.id)).toEqual(one.map((r) => r.id))
    expect(one.map((r) => r.id)).toEqual(Array.from({length: 24}, (_, i) => `n${i}`))
    // Content may differ where batched arithmetic differs from single-sequence arithmetic; it is
    // measured by scripts/bench-load.js (section ner), not asserted here.
    for (const record of eight) expect(Array.isArray(record.entities)).toBe(true)
  })

  it('evaluates a shared prompt prefix once and copies it to the other sequences', async () => {
    const engine = await createEngine({modelPath, gpu: 'off', threads: 1, contextSize: 1024, sequences: 3})
    engines.push(engine)
    const system = 'You are a clinical assistant who extracts entities. '.repeat(8)
    const users = ['Pt has CHF.', 'BP 150/90.', 'Denies chest pain.']
    const generations = await Promise.all(users.map((user) => engine.chat({system, user, maxTokens: 6})))
    const evaluated = generations.map((g) => g.evaluatedPromptTokens!).sort((a, b) => b - a)
    // One sequence evaluated the prefix; the two others only what follows it.
    expect(evaluated[0]).toBeGreaterThan(engine.countTokens(system))
    for (const count of evaluated.slice(1)) expect(count).toBeLessThan(engine.countTokens(system) / 2)
    // Whether the copied prefix gives the same text as evaluating it is measured (batched arithmetic may
    // differ at temperature 0) by scripts/bench-load.js (section ner), not asserted.
    for (const generation of generations) expect(generation.outputTokens).toBeGreaterThan(0)
  })

  it('-j auto (the default) loads 4 sequences, probes 1 against 4 once, and records the choice in the audit log', async () => {
    const audit = join(await mkdtemp(join(tmpdir(), 'jsl-med-auto-')), 'audit.ndjson')
    const {code, stdout, stderr} = await runCli(['ner', '-m', modelPath, '--threads', '1', '--max-tokens', '24', '--verbose', '--audit', audit], input)
    expect(code, stderr).toBe(0)
    expect(stdout.trim().split('\n').map((line) => JSON.parse(line).id)).toEqual(Array.from({length: 24}, (_, i) => `n${i}`))
    expect(stderr).toMatch(/"sequences":4/)
    const decisions = stderr.match(/-j auto: 1 → 4 sequences: \d+ vs \d+ tokens\/s, (?:keeping 4|back to 1)/g)
    expect(decisions).toHaveLength(1)
    const lines = (await readFile(audit, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as {parameters: {parallel: number; sequences: number}})
    expect(lines).toHaveLength(24)
    expect(lines.slice(0, 3).map((line) => line.parameters.parallel)).toEqual([1, 1, 1])
    for (const line of lines) expect(line.parameters).toMatchObject({parallel: expect.toBeOneOf([1, 4]), sequences: 4})
    expect(lines.at(-1)!.parameters.parallel).toBe(decisions![0].endsWith('keeping 4') ? 4 : 1)
  })

  it('refuses a -j that will not fit in memory with exit 6 and the largest -j that does', async () => {
    const {code, stdout, stderr} = await runCli(['ner', '-m', modelPath, '--threads', '1', '-j', '256', '--context-size', '1048576'], '{"id":1,"text":"x"}\n')
    expect(code).toBe(6)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/E_PARALLEL_TOO_LARGE/)
    expect(stderr).toMatch(/Hint: Use -j \d+ or fewer/)
  })
})
