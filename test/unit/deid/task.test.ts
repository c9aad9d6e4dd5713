import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {createDeidTask, type MapEntry} from '../../../src/lib/tasks/index.js'
import {scriptedEngine} from '../tasks/fake-engine.js'

const key = Buffer.from('a test key of sixteen characters or more')
const settings = {maxTokens: 256, temperature: 0}

describe('deid task', () => {
  it('merges the model with the rules: model names are found whole-word, common words and inventions dropped', async () => {
    const engine = scriptedEngine(() => ({
      json: {
        phi: [
          {text: 'brian', category: 'name'},
          {text: 'Springfield', category: 'location'},
          {text: 'the', category: 'name'},
          {text: 'rian', category: 'name'},
          {text: 'Nowhere Town', category: 'location'},
        ],
      },
    }))
    const task = createDeidTask({mode: 'mask', key})
    const text = '[doctor] hi brian, back from Springfield? Seen 3/4/21, MRN: 7734921. brian nods.'
    const result = await task.run(text, {engine, settings})
    expect(result.deidText).toBe('[doctor] hi [NAME], back from [LOCATION]? Seen [DATE], MRN: [MRN]. [NAME] nods.')
    expect(result.dropped).toBe(3)
    expect(result.spans.map((span) => [span.category, span.source])).toEqual([
      ['name', 'model'],
      ['location', 'model'],
      ['date', 'rule'],
      ['mrn', 'rule'],
      ['name', 'model'],
    ])
    for (const span of result.spans) expect(result.deidText.slice(span.deidStart, span.deidEnd)).toMatch(/^\[[A-Z_]+]$/)
  })

  it('leaves out the text field unless keepOriginal, and the spans with spans: false', () => {
    const base = {deidText: 'x', spans: [{category: 'name' as const, start: 0, end: 1, source: 'rule' as const, deidStart: 0, deidEnd: 1}], dropped: 0, truncated: false}
    expect(createDeidTask({mode: 'mask', key, field: 'note'}).omitFields).toEqual(['note'])
    expect(createDeidTask({mode: 'mask', key, keepOriginal: true}).omitFields).toEqual([])
    expect(createDeidTask({mode: 'mask', key}).toRecord!(base)).toEqual({deid_text: 'x', phi: [{category: 'name', start: 0, end: 1, source: 'rule', deid_start: 0, deid_end: 1}]})
    expect(createDeidTask({mode: 'mask', key, spans: false}).toRecord!(base)).toEqual({deid_text: 'x'})
  })

  it('asks no model with useModel false, and hands the replacements to onReplacements only', async () => {
    const engine = scriptedEngine(() => ({json: {phi: []}}))
    const entries: MapEntry[] = []
    const task = createDeidTask({mode: 'surrogate', key, useModel: false, patientField: 'pid', onReplacements: (entry) => entries.push(entry)})
    const text = 'Patient: Zebulon Quixtar, MRN: QX7734921.'
    const result = await task.run(text, {engine, settings, record: {pid: 'A', text}, ref: {line: 3, id: 'r1'}})
    expect(engine.requests).toHaveLength(0)
    expect(result.deidText).not.toMatch(/Zebulon|Quixtar|QX7734921/)
    expect(entries).toEqual([
      {
        ref: {line: 3, id: 'r1'},
        patient: 'A',
        replacements: [
          {category: 'name', start: 9, end: 24, original: 'Zebulon Quixtar', replacement: expect.any(String)},
          {category: 'mrn', start: 31, end: 40, original: 'QX7734921', replacement: expect.any(String)},
        ],
      },
    ])
    expect(JSON.stringify(task.toRecord!(result))).not.toMatch(/Zebulon|Quixtar|QX7734921/)
  })

  it('fails a record without the patient field, naming the field and not the text', async () => {
    const task = createDeidTask({mode: 'surrogate', key, useModel: false, patientField: 'pid'})
    const error = await task.run('Patient: Zebulon Quixtar', {engine: scriptedEngine(() => ({json: {}})), settings, record: {text: 'Patient: Zebulon Quixtar'}}).catch((error_: unknown) => error_)
    expect(error).toMatchObject({code: 'E_FIELD_MISSING', message: expect.stringContaining('"pid"')})
    expect(JSON.stringify(error)).not.toMatch(/Zebulon/)
  })

  it('holds the offset invariant whatever the model proposes (property)', async () => {
    const fragments = ['\nPatient: Ana Lopez', ' seen 3/4/21', ' at 42 Elm Street', ', call 617-555-0134', ' MRN: 7734921', ' brian', ' pain 5/10', '\n', ' Température 38,5 °C', ' 😀', ' the']
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...fragments), {minLength: 1, maxLength: 12}),
        fc.array(fc.tuple(fc.string({maxLength: 12}), fc.constantFrom('name', 'location', 'organization', 'id', 'bogus')), {maxLength: 8}),
        fc.constantFrom('mask', 'redact', 'surrogate', 'hash', 'date-shift' as const),
        async (parts, proposals, mode) => {
          const text = parts.join('')
          const picked = proposals.map(([mention, category], i) => ({text: i % 2 === 0 && text.length > 4 ? text.slice(i, i + 5) : mention, category}))
          const engine = scriptedEngine(() => ({json: {phi: picked}}))
          const result = await createDeidTask({mode, key}).run(text, {engine, settings})
          let at = 0
          let deidAt = 0
          for (const span of result.spans) {
            expect(span.start).toBeGreaterThanOrEqual(at)
            expect(span.end).toBeGreaterThan(span.start)
            expect(span.end).toBeLessThanOrEqual(text.length)
            expect(result.deidText.slice(deidAt, span.deidStart)).toBe(text.slice(at, span.start))
            at = span.end
            deidAt = span.deidEnd
          }

          expect(result.deidText.slice(deidAt)).toBe(text.slice(at))
          // Every rule-found identifier of the fragments is gone.
          for (const secret of ['Ana Lopez', '3/4/21', '42 Elm Street', '617-555-0134', '7734921']) expect(result.deidText.includes(secret)).toBe(false)
        },
      ),
      {numRuns: 200},
    )
  })
})
