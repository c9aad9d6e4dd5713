import {join} from 'node:path'

import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {loadIcd10cmTable, type CodeTable} from '../../src/lib/codes/index.js'
import {createEngine, type Engine} from '../../src/lib/engine/index.js'
import {runTask} from '../../src/lib/pipeline/index.js'
import {ASSERTIONS, createNerTask, DEFAULT_NER_LABELS, SOAP_SECTIONS, soapTask, summarizeTask, type Task} from '../../src/lib/tasks/index.js'
import {root} from '../helpers/spawn-cli.js'
import {memoryWriter, sourceOf} from '../helpers/streams.js'

const modelPath = inject('tinyModelPath')

// Random weights: the text the model proposes is gibberish, so these tests assert structure and invariants only.
const clinical = [
  'Pt denies chest pain. Chest pain on exertion last year.',
  'Doctor: Any fever?\nPatient: No fever, but a cough. Cough worse at night.',
  'Mother had breast cancer. Started metformin 500 mg b.i.d. for type 2 diabetes.',
  'BP 150/90, HR 88. Lisinopril 10 mg daily. Follow up in 2 weeks.',
  'Résumé: pneumonie droite. Température 38,5 °C. 患者は咳をしている。',
]
const recordText = fc.oneof(
  fc.constant(''),
  fc.constant('   \n\t'),
  fc.constantFrom(...clinical),
  fc.string({unit: 'grapheme', maxLength: 80}),
  fc.string({unit: 'binary', maxLength: 40}),
  // Repeated mentions, in varying case and spacing.
  fc.array(fc.constantFrom('pain', 'Pain', 'chest pain', 'fever', 'FEVER', 'and', 'denies', '\n', '  ', 'ß', '😀', '.'), {maxLength: 24}).map((words) => words.join(' ')),
)

function expectEntityRecord(record: Record<string, unknown>, source: string, linked: CodeTable | undefined): void {
  expect(record.error).toBeUndefined()
  expect(Object.keys(record).sort()).toEqual(['dropped', 'entities', 'id', 'text', ...(record.entities_truncated ? ['entities_truncated'] : [])].sort())
  expect(record.text).toBe(source)
  expect(Number.isInteger(record.dropped) && (record.dropped as number) >= 0).toBe(true)
  if (record.entities_truncated !== undefined) expect(record.entities_truncated).toBe(true)
  const entities = record.entities as Array<Record<string, unknown>>
  for (const entity of entities) {
    const {text, label, start, end, assertion, code, ...rest} = entity
    expect(rest).toEqual({})
    expect(Number.isInteger(start) && Number.isInteger(end)).toBe(true)
    expect(0 <= (start as number) && (start as number) < (end as number) && (end as number) <= source.length).toBe(true)
    expect(text).toBe(source.slice(start as number, end as number))
    expect(DEFAULT_NER_LABELS).toContain(label)
    expect(ASSERTIONS).toContain(assertion)
    if (code !== undefined) {
      expect(linked).toBeDefined()
      const check = code as {value: string; status: string}
      expect(['linked', 'unverified', 'rejected']).toContain(check.status)
      // An invented code is never linked: linked means the user's table has it.
      if (check.status === 'linked') expect(linked!.get(check.value)).toBeDefined()
    }
  }

  for (let i = 1; i < entities.length; i++) expect(entities[i].start as number).toBeGreaterThanOrEqual(entities[i - 1].start as number)
}

async function run<Result>(engine: Engine, task: Task<Result>, texts: string[], maxTokens: number): Promise<Array<Record<string, unknown>>> {
  const writer = memoryWriter()
  const input = texts.map((text, id) => JSON.stringify({id, text})).join('\n') + '\n'
  await runTask({task, engine, source: await sourceOf(input, 'ndjson'), writer, settings: {maxTokens, temperature: 0}, parallel: engine.info.sequences})
  return writer.records()
}

describe('clinical tasks on a synthesized model', () => {
  let engine: Engine
  let codes: CodeTable

  beforeAll(async () => {
    engine = await createEngine({modelPath, gpu: 'off', threads: 1, contextSize: 4096, sequences: 4})
    codes = await loadIcd10cmTable(join(root, 'test/fixtures/codes/icd10cm-order-sample.txt'))
  })

  afterAll(async () => {
    await engine?.dispose()
  })

  it('ner: every entity of 200 generated records is an exact slice of its source, in schema', async () => {
    const plain = createNerTask({maxEntities: 6, maxMentionChars: 24})
    const linking = createNerTask({maxEntities: 6, maxMentionChars: 24, link: {system: 'icd10cm', codes}})
    let records = 0
    await fc.assert(
      fc.asyncProperty(fc.array(recordText, {minLength: 20, maxLength: 20}), fc.boolean(), async (texts, link) => {
        const out = await run(engine, link ? linking : plain, texts, 24)
        expect(out).toHaveLength(texts.length)
        for (const [i, record] of out.entries()) {
          expect(record.id).toBe(i)
          expectEntityRecord(record, texts[i], link ? codes : undefined)
        }

        records += out.length
      }),
      {numRuns: 10, endOnFailure: true},
    )
    expect(records).toBe(200)
  })

  it('ner: a note longer than the context is split instead of refused', async () => {
    const note = Array.from({length: 120}, (_, i) => `Paragraph ${i}: chest pain and fever, denies cough. ${'history of heart failure, '.repeat(6)}`).join('\n\n')
    expect(engine.countTokens(note)).toBeGreaterThan(engine.info.contextSize)
    const [record] = await run(engine, createNerTask({maxEntities: 4, maxMentionChars: 16}), [note], 16)
    expectEntityRecord(record, note, undefined)
  })

  it('soap: always the four sections, every supported statement citing an exact source slice', async () => {
    const texts = [...clinical, '', 'x', '😀😀 ß\n\n', 'Doctor: hello.\nPatient: hello. hello. hello.', fc.sample(fc.string({unit: 'grapheme', maxLength: 60}), {numRuns: 1, seed: 5})[0]]
    for (const maxTokens of [12, 48]) {
      const out = await run(engine, soapTask, texts, maxTokens)
      expect(out).toHaveLength(texts.length)
      for (const [i, record] of out.entries()) {
        expect(record.error).toBeUndefined()
        const note = record.soap as Record<string, unknown>
        expect(Object.keys(note).filter((key) => key !== 'truncated')).toEqual([...SOAP_SECTIONS, 'review_required'])
        let unsupported = false
        for (const section of SOAP_SECTIONS) {
          expect(Array.isArray(note[section])).toBe(true)
          for (const item of note[section] as Array<Record<string, unknown>>) {
            expect(Object.keys(item)).toEqual(['statement', 'evidence', 'start', 'end', 'unsupported'])
            expect(typeof item.statement).toBe('string')
            if (item.unsupported) {
              unsupported = true
              expect([item.start, item.end]).toEqual([null, null])
            } else {
              expect(item.evidence).toBe(texts[i].slice(item.start as number, item.end as number))
            }
          }
        }

        expect(note.review_required).toBe(unsupported || note.truncated === true)
      }
    }
  })

  it('summarize: a 20,000-word note is chunked and merged without a context error', async () => {
    const vocabulary = 'patient history blood pressure heart failure diabetes chronic acute pain chest denies reports fever cough'.split(' ')
    const sections = ['HISTORY OF PRESENT ILLNESS:', 'PAST MEDICAL HISTORY:', 'HOSPITAL COURSE:', 'ASSESSMENT AND PLAN:']
    const paragraphs: string[] = []
    for (let p = 0, words = 0; words < 20_000; p++) {
      const paragraph = Array.from({length: 40 + (p % 30)}, (_, i) => vocabulary[(p * 7 + i * 3) % vocabulary.length]).join(' ') + '.'
      paragraphs.push(p % 25 === 0 ? `${sections[(p / 25) % sections.length]}\n${paragraph}` : paragraph)
      words += paragraph.split(' ').length
    }

    const note = paragraphs.join('\n\n')
    expect(note.split(/\s+/).length).toBeGreaterThanOrEqual(20_000)
    const [record] = await run(engine, summarizeTask, [note], 16)
    expect(record.error).toBeUndefined()
    expect(typeof record.summary).toBe('string')
    expect(record.summary_chunks as number).toBeGreaterThan(1)
  })
})
