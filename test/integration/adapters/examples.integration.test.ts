import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {createEngine, type Engine, type Generation} from '../../../src/lib/engine/index.js'
import {runTask} from '../../../src/lib/pipeline/index.js'
import {createExtractTask, createNerTask, parseConciseSchema, readExamples, type Task} from '../../../src/lib/tasks/index.js'
import {memoryWriter, sourceOf} from '../../helpers/streams.js'

const modelPath = inject('tinyModelPath')

const notes = [
  'Pt denies chest pain. Started metformin 500 mg.',
  'Cough and fever for three days, no rash.',
  'BP 150/90, HR 88. Lisinopril 10 mg daily.',
  'Mother had breast cancer. Colonoscopy next year.',
  'Shortness of breath on exertion; echo ordered.',
  'Knee pain after a fall, x-ray negative.',
]

/** `count` distinct ner examples, each about 40 tokens. */
function nerExamples(count: number): string {
  return Array.from({length: count}, (_, i) => {
    const input = `Example ${i}: the patient reports headache number ${i} and takes aspirin ${i * 10} mg daily.`
    const output = {entities: [{text: `headache number ${i}`, label: 'PROBLEM', assertion: 'present'}, {text: `aspirin ${i * 10} mg`, label: 'DRUG', assertion: 'present'}]}
    return JSON.stringify({input, output})
  }).join('\n')
}

/** The engine, recording every generation in the order calls finish. */
function recording(engine: Engine): Engine & {generations: Generation[]} {
  const generations: Generation[] = []
  return {
    generations,
    info: engine.info,
    countTokens: (text) => engine.countTokens(text),
    countPromptTokens: (request) => engine.countPromptTokens(request),
    async chat(request) {
      const generation = await engine.chat(request)
      generations.push(generation)
      return generation
    },
    dispose: () => engine.dispose(),
  }
}

describe('few-shot examples sit in the shared prompt prefix', () => {
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-examples-'))
  })

  afterAll(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  async function evaluated(task: Task, file: string | undefined, sequences: number): Promise<{first: Generation; rest: Generation[]}> {
    const engine = recording(await createEngine({modelPath, gpu: 'off', threads: 1, contextSize: 4096, sequences}))
    try {
      const examples = file ? await readExamples(file, task) : undefined
      const input = notes.map((text, id) => JSON.stringify({id, text})).join('\n') + '\n'
      const writer = memoryWriter()
      await runTask({task, engine, source: await sourceOf(input, 'ndjson'), writer, settings: {maxTokens: 48, temperature: 0, examples}, parallel: sequences}).catch(() => {})
      expect(writer.records().map((record) => record.error)).toEqual(notes.map(() => undefined))
      const [first, ...rest] = engine.generations
      return {first, rest}
    } finally {
      await engine.dispose()
    }
  }

  it.each([1, 2])('ner, %i sequence(s): tokens evaluated per record after the first do not grow with 0, 2 or 8 examples', async (sequences) => {
    const task = createNerTask({maxEntities: 2, maxMentionChars: 12})
    const runs: Array<{count: number; first: Generation; rest: Generation[]}> = []
    for (const count of [0, 2, 8]) {
      const file = join(dir, `ner-${count}.ndjson`)
      await writeFile(file, nerExamples(count))
      runs.push({count, ...(await evaluated(task, count === 0 ? undefined : file, sequences))})
    }

    const [none, two, eight] = runs
    // The prompt does grow with the examples: 8 of them are hundreds of tokens…
    expect(eight.first.promptTokens - none.first.promptTokens).toBeGreaterThan(200)
    expect(two.first.promptTokens).toBeGreaterThan(none.first.promptTokens)
    // …evaluated once per sequence; every later record evaluates only what follows the prefix.
    const most = (run: (typeof runs)[number]): number => Math.max(...run.rest.map((g) => g.evaluatedPromptTokens!))
    for (const run of runs) {
      expect(run.rest).toHaveLength(notes.length - 1)
      expect(most(run)).toBeLessThanOrEqual(most(none))
    }

    // A later record evaluates fewer tokens than the examples alone hold.
    expect(most(eight)).toBeLessThan(eight.first.promptTokens - none.first.promptTokens)
  })

  it('extract: the same holds for an extraction schema', async () => {
    const task = createExtractTask({schema: parseConciseSchema('drug, dose'), bounds: {maxStringLength: 6, maxItems: 2}})
    const file = join(dir, 'extract.ndjson')
    await writeFile(file, Array.from({length: 6}, (_, i) => JSON.stringify({input: `Took drug${i} ${i} mg.`, output: {data: {drug: `drug${i}`, dose: `${i} mg`}}})).join('\n'))
    const none = await evaluated(task, undefined, 1)
    const six = await evaluated(task, file, 1)
    expect(six.first.promptTokens).toBeGreaterThan(none.first.promptTokens + 60)
    expect(Math.max(...six.rest.map((g) => g.evaluatedPromptTokens!))).toBeLessThanOrEqual(Math.max(...none.rest.map((g) => g.evaluatedPromptTokens!)))
  })
})
