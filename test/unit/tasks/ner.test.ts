import {join} from 'node:path'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {loadIcd10cmTable} from '../../../src/lib/codes/index.js'
import {createEngine} from '../../../src/lib/engine/index.js'
import {runTask} from '../../../src/lib/pipeline/index.js'
import {ASSERTIONS, createNerTask, nerTask, parseLabels, type NerResult} from '../../../src/lib/tasks/index.js'
import {root} from '../../helpers/spawn-cli.js'
import {memoryWriter, sourceOf} from '../../helpers/streams.js'
import {scriptedEngine} from './fake-engine.js'

const settings = {maxTokens: 64, temperature: 0}
const entity = (text: string, label = 'PROBLEM', assertion = 'present', code?: string) => ({text, label, assertion, ...(code === undefined ? {} : {code})})

function expectInvariant(source: string, result: NerResult): void {
  for (const e of result.entities) expect(e.text).toBe(source.slice(e.start, e.end))
}

describe('ner task', () => {
  it('reports the source text and offsets of what the model proposed, and counts what is not in the source', async () => {
    const source = 'Pt denies Chest  Pain. Mother had breast cancer. Started metformin 500 mg; chest pain again today.'
    const engine = scriptedEngine(() => ({
      json: {
        entities: [
          entity('chest pain', 'PROBLEM', 'absent'),
          entity('breast cancer', 'PROBLEM', 'family'),
          entity('Metformin 500 mg', 'DRUG'),
          entity('lisinopril', 'DRUG'),
          entity('chest pain'),
          entity('chest pain'),
        ],
      },
    }))
    const result = await nerTask.run(source, {engine, settings})
    expect(result.entities).toEqual([
      {text: 'Chest  Pain', label: 'PROBLEM', start: 10, end: 21, assertion: 'absent'},
      {text: 'breast cancer', label: 'PROBLEM', start: 34, end: 47, assertion: 'family'},
      {text: 'metformin 500 mg', label: 'DRUG', start: 57, end: 73, assertion: 'present'},
      {text: 'chest pain', label: 'PROBLEM', start: 75, end: 85, assertion: 'present'},
    ])
    expect(result.dropped).toBe(2)
    expect(result.truncated).toBe(false)
    expectInvariant(source, result)
  })

  it('asks under a bounded JSON-schema grammar with the labels and assertions as enums', async () => {
    const engine = scriptedEngine(() => ({json: {entities: []}}))
    await createNerTask({labels: ['Disease', 'Chemical'], maxEntities: 5, maxMentionChars: 20}).run('aspirin for headache', {engine, settings})
    const [request] = engine.requests
    expect(request.user).toBe('aspirin for headache')
    expect(request.temperature).toBe(0)
    expect(request.schema).toEqual({
      type: 'object',
      properties: {
        entities: {
          type: 'array',
          maxItems: 5,
          items: {type: 'object', properties: {text: {type: 'string', minLength: 1, maxLength: 20}, label: {enum: ['Disease', 'Chemical']}, assertion: {enum: [...ASSERTIONS]}}},
        },
      },
    })
    expect(request.system).toContain('Disease, Chemical')
  })

  it('keeps the complete entities of an answer cut off at max tokens and says so', async () => {
    const source = 'fever and cough'
    const engine = scriptedEngine(() => ({text: '{"entities":[{"text":"fever","label":"PROBLEM","assertion":"present"},{"text":"cough","label":"PROB'}))
    const result = await nerTask.run(source, {engine, settings})
    expect(result).toEqual({entities: [{text: 'fever', label: 'PROBLEM', start: 0, end: 5, assertion: 'present'}], dropped: 0, truncated: true})
    expect(nerTask.toRecord!(result)).toEqual({entities: result.entities, dropped: 0, entities_truncated: true})
  })

  it('does not call the model for empty or blank text', async () => {
    const engine = scriptedEngine(() => ({json: {entities: [entity('x')]}}))
    for (const text of ['', '  \n\t']) expect(await nerTask.run(text, {engine, settings})).toEqual({entities: [], dropped: 0, truncated: false})
    expect(engine.requests).toHaveLength(0)
  })

  it('splits a text longer than the context on paragraphs and maps offsets back to the source', async () => {
    const paragraphs = Array.from({length: 6}, (_, i) => `Paragraph ${i} notes fever and cough ${'filler '.repeat(40)}`)
    const source = paragraphs.join('\n\n')
    // Like a good model: each mention once per occurrence in the part it was given, plus one it made up.
    const engine = scriptedEngine((request) => {
      const paragraphs = request.user.match(/Paragraph/g)?.length ?? 0
      return {json: {entities: [...Array.from({length: paragraphs}, () => [entity('fever'), entity('cough')]).flat(), entity('made up')]}}
    }, 450)
    const result = await nerTask.run(source, {engine, settings})
    expect(engine.requests.length).toBeGreaterThan(1)
    expect(result.entities.filter((e) => e.text === 'fever')).toHaveLength(6)
    expect(result.entities.filter((e) => e.text === 'cough')).toHaveLength(6)
    expect(result.dropped).toBe(engine.requests.length)
    expectInvariant(source, result)
  })

  it('checks proposed codes against the table: an invented code is never linked', async () => {
    const codes = await loadIcd10cmTable(join(root, 'test/fixtures/codes/icd10cm-order-sample.txt'))
    const source = 'Type 2 diabetes, hypertension, heart failure, a made-up illness, and cough.'
    const engine = scriptedEngine(() => ({
      json: {
        entities: [
          entity('Type 2 diabetes', 'PROBLEM', 'present', 'e119'),
          entity('hypertension', 'PROBLEM', 'present', 'I10'),
          entity('heart failure', 'PROBLEM', 'present', 'I50.99'),
          entity('made-up illness', 'PROBLEM', 'present', 'Q12.345'),
          entity('cough', 'PROBLEM', 'present', ''),
        ],
      },
    }))
    const result = await createNerTask({link: {system: 'icd10cm', codes}}).run(source, {engine, settings})
    expect(result.entities.map((e) => [e.text, e.code?.value, e.code?.status])).toEqual([
      ['Type 2 diabetes', 'E11.9', 'linked'],
      ['hypertension', 'I10', 'linked'],
      ['heart failure', 'I50.99', 'unverified'],
      ['made-up illness', 'Q12.345', 'rejected'],
      ['cough', undefined, undefined],
    ])
    expect(engine.requests[0].schema).toMatchObject({properties: {entities: {items: {properties: {code: {type: 'string', maxLength: 8}}}}}})
  })

  it('renders a readable entity list', async () => {
    const text = nerTask.renderText({
      entities: [{text: 'chest\npain', label: 'PROBLEM', start: 3, end: 13, assertion: 'absent', code: {system: 'icd10cm', value: 'R07.9', status: 'linked', description: 'Chest pain, unspecified'}}],
      dropped: 2,
      truncated: false,
    })
    expect(text).toBe('1 entity (2 proposals not found in the text left out)\n  PROBLEM  absent        3-13        chest pain  [ICD-10-CM R07.9 linked: Chest pain, unspecified]')
  })

  it('parses --labels and refuses bad ones', () => {
    expect(parseLabels(' PROBLEM, DRUG,PROBLEM ')).toEqual(['PROBLEM', 'DRUG'])
    for (const bad of ['', ',', 'two words', '1ABC', 'A'.repeat(40)]) expect(() => parseLabels(bad), bad).toThrow(expect.objectContaining({code: 'E_BAD_LABELS', exitCode: 2}))
  })

  it('holds the offset invariant whatever the model proposes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({unit: 'grapheme', maxLength: 60}),
        fc.array(fc.record({text: fc.string({unit: 'grapheme', maxLength: 10}), pick: fc.nat(), upper: fc.boolean()}), {maxLength: 8}),
        async (source, picks) => {
          // Half the proposals are slices of the source (as a good model makes them), half are anything.
          const proposals = picks.map(({text, pick, upper}, i) => {
            const start = source.length === 0 ? 0 : pick % source.length
            const slice = i % 2 === 0 ? source.slice(start, start + 1 + (pick % 7)) : text
            return entity(upper ? slice.toUpperCase() : slice)
          })
          const engine = scriptedEngine(() => ({json: {entities: proposals}}))
          const result = await nerTask.run(source, {engine, settings})
          expectInvariant(source, result)
          if (source.trim() !== '') expect(result.entities.length + result.dropped).toBe(proposals.length)
        },
      ),
      {numRuns: 200},
    )
  })

  it('writes entities and dropped as record fields through the pipeline (echo engine)', async () => {
    const writer = memoryWriter()
    const echo = await createEngine({kind: 'echo'})
    await runTask({task: nerTask, engine: echo, source: await sourceOf('{"id":1,"text":"fever"}\n'), writer, settings})
    expect(writer.records()).toEqual([{id: 1, text: 'fever', entities: [], dropped: 0}])
  })
})
