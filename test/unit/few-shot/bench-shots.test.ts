import {createHash} from 'node:crypto'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {compareRecords, loadChoiceItems, loadNerCorpus, nerExamples, type BenchRecord} from '../../../src/lib/bench/index.js'
import {formatBenchTable} from '../../../src/lib/cli/index.js'
import type {BenchModel} from '../../../src/lib/engine/index.js'
import {runBench} from '../../../src/lib/use-cases/index.js'
import {root} from '../../helpers/spawn-cli.js'
import {scriptedEngine} from '../tasks/fake-engine.js'
import {validateBenchRecord} from '../bench/json-schema.js'

const dataDir = join(root, 'test/fixtures/bench')
let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jsl-med-shots-'))
})
afterAll(() => rm(dir, {recursive: true, force: true}))

describe('few-shot datasets', () => {
  it('MMLU takes its dev rows; the other tasks hold out the head of their file for every shot count', async () => {
    const zero = await loadChoiceItems('medqa', dataDir, {shots: 0, heldOut: 2})
    const two = await loadChoiceItems('medqa', dataDir, {shots: 2, heldOut: 2})
    const all = await loadChoiceItems('medqa', dataDir)
    expect(zero.items.map((item) => item.id)).toEqual(two.items.map((item) => item.id))
    expect(zero.items.map((item) => item.id)).toEqual(all.items.slice(2).map((item) => item.id))
    // Each example is rendered as lm-eval does: its prompt, its gold answer, a blank line.
    const [first, second] = all.items
    expect(two.items[0].context).toBe(`${first.context}${first.choices[first.gold]}\n\n${second.context}${second.choices[second.gold]}\n\n${zero.items[0].context}`)
    const mmlu = await loadChoiceItems('mmlu-med', dataDir, {shots: 1, heldOut: 3})
    expect(mmlu.items).toHaveLength((await loadChoiceItems('mmlu-med', dataDir)).items.length)
    await expect(loadChoiceItems('mmlu-med', dataDir, {shots: 6})).rejects.toMatchObject({exitCode: 2})
    await expect(loadChoiceItems('medqa', dataDir, {shots: 50})).rejects.toMatchObject({exitCode: 2})
  })

  it("ner draws its examples from BC5CDR dev and scores all of test; ner-ncbi holds out the head of test", async () => {
    const bc5cdr = await loadNerCorpus('ner', dataDir, {shots: 2})
    expect(bc5cdr.shotPool.map((document) => document.pmid)).toEqual(['92000001', '92000002'])
    expect(bc5cdr.documents).toHaveLength((await loadNerCorpus('ner', dataDir)).documents.length)
    expect(bc5cdr.shotFile).toMatch(/bc5cdr_dev\.pubtator\.txt$/)
    const ncbi = await loadNerCorpus('ner-ncbi', dataDir, {shots: 1, heldOut: 2})
    const ncbiAll = await loadNerCorpus('ner-ncbi', dataDir)
    expect(ncbi.shotPool).toEqual(ncbiAll.documents.slice(0, 1))
    expect(ncbi.documents).toEqual(ncbiAll.documents.slice(2))
  })

  it('renders a solved document as its text and its distinct gold mentions, in text order', async () => {
    const {shotPool} = await loadNerCorpus('ner', dataDir, {shots: 1})
    expect(nerExamples(shotPool, ['Chemical', 'Disease'])).toEqual([
      {
        user: shotPool[0].text,
        reply: JSON.stringify({entities: [{text: 'Warfarin', label: 'Chemical'}, {text: 'bleeding', label: 'Disease'}, {text: 'warfarin', label: 'Chemical'}, {text: 'aspirin', label: 'Chemical'}]}),
      },
    ])
  })
})

describe('bench --shots', () => {
  it('scores NER at every shot count in one run, the examples in each request, N the same', async () => {
    const engine = scriptedEngine(() => ({json: {entities: []}}))
    const {requests} = engine
    const modelPath = join(dir, 'fake.gguf')
    await writeFile(modelPath, 'GGUF not really a model')
    const model = {info: {fileType: 'F32', architecture: 'llama', llamaCpp: {release: 'v0', repo: 'r', buildType: 'prebuilt'}, nodeLlamaCppVersion: '3.22.1', gpu: false, gpuDevices: [], threads: 1, systemInfo: ''}, dispose: async () => {}} as unknown as BenchModel
    const records: BenchRecord[] = await runBench({
      models: [{id: 'fake.gguf', path: modelPath, synthetic: false}],
      tasks: ['ner'],
      shots: [0, 3],
      threads: 1,
      jslMedVersion: '9.9.9',
      dataDir,
      cacheDir: dir,
      openBenchModel: async () => model,
      createEngine: async () => engine,
      onRecord: () => {},
    })
    expect(records.map((record) => [record.task, record.kind === 'ner' && record.settings.shots, record.kind === 'ner' && record.ner.documents])).toEqual([
      ['ner', 0, 3],
      ['ner', 3, 3],
    ])
    for (const record of records) expect(validateBenchRecord(JSON.parse(JSON.stringify(record)))).toEqual([])
    expect(requests.slice(0, 3).every((request) => request.examples === undefined)).toBe(true)
    expect(requests.slice(3).every((request) => request.examples?.length === 3)).toBe(true)
    const table = formatBenchTable(records)
    expect(table).toMatch(/ner \(0-shot\) .*F1 0\.000 .*N=3 docs/)
    expect(table).toMatch(/ner \(3-shot\) .*F1 0\.000 .*N=3 docs/)
    // A run compares its 3-shot figures with another run's 3-shot figures, not with its 0-shot ones.
    expect(compareRecords(records, records).onlyInA).toEqual([])
    expect(new Set(compareRecords(records, records).deltas.map((delta) => delta.task)).size).toBe(1)
  })

  it('with --lora, measures each model as it is and then with the adapters, whose sha256 the records carry', async () => {
    const adapter = join(dir, 'adapter.gguf')
    await writeFile(adapter, 'GGUF adapter bytes')
    const loras: unknown[] = []
    const engine = scriptedEngine(() => ({json: {entities: []}}))
    const modelPath = join(dir, 'fake2.gguf')
    await writeFile(modelPath, 'GGUF not really a model')
    const model = {info: {fileType: 'F32', architecture: 'llama', llamaCpp: {release: 'v0', repo: 'r', buildType: 'prebuilt'}, nodeLlamaCppVersion: '3.22.1', gpu: false, gpuDevices: [], threads: 1, systemInfo: ''}, dispose: async () => {}} as unknown as BenchModel
    const records = await runBench({
      models: [{id: 'fake2.gguf', path: modelPath, synthetic: false}],
      tasks: ['ner'],
      lora: [{path: adapter, scale: 0.5}],
      threads: 1,
      jslMedVersion: '9.9.9',
      dataDir,
      cacheDir: dir,
      openBenchModel: async (options) => (loras.push(options.lora), model),
      createEngine: async (options) => (loras.push(options.lora), engine),
      onRecord: () => {},
    })
    expect(loras).toEqual([undefined, undefined, [{path: adapter, scale: 0.5}], [{path: adapter, scale: 0.5}]])
    const sha256 = createHash('sha256').update('GGUF adapter bytes').digest('hex')
    expect(records.map((record) => record.lora)).toEqual([undefined, [{path: adapter, scale: 0.5, sha256}]])
    for (const record of records) expect(validateBenchRecord(JSON.parse(JSON.stringify(record)))).toEqual([])
    expect(formatBenchTable(records)).toContain(`fake2.gguf + LoRA ${sha256.slice(0, 8)}:0.5`)
    expect(compareRecords(records, records).deltas.length).toBeGreaterThan(0)
    expect(compareRecords(records, records).onlyInA).toEqual([])
  })
})
