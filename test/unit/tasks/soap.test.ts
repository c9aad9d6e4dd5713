import {describe, expect, it} from 'vitest'

import {createEngine} from '../../../src/lib/engine/index.js'
import {runTask} from '../../../src/lib/pipeline/index.js'
import {SOAP_SECTIONS, soapTask, type SoapNote} from '../../../src/lib/tasks/index.js'
import {memoryWriter, sourceOf} from '../../helpers/streams.js'
import {scriptedEngine} from './fake-engine.js'

const settings = {maxTokens: 64, temperature: 0}
const dialogue = [
  'Doctor: What brings you in?',
  'Patient: I have had a cough for three days. No fever.',
  'Doctor: Your temperature is 37.2 and your lungs are clear.',
  'Doctor: This is likely a viral bronchitis. Rest, fluids, and come back if you get a fever.',
].join('\n')

function expectEvidenceInvariant(source: string, note: SoapNote): void {
  for (const section of SOAP_SECTIONS) {
    for (const item of note[section]) {
      if (item.unsupported) expect([item.start, item.end]).toEqual([null, null])
      else expect(item.evidence).toBe(source.slice(item.start!, item.end!))
    }
  }
}

describe('soap task', () => {
  it('reports each citation as the exact source sentence, and flags citations that are not in the source', async () => {
    const engine = scriptedEngine(() => ({
      json: {
        subjective: [{statement: 'Cough for three days.', evidence: 'i have had a COUGH for three days.'}],
        objective: [{statement: 'Temperature 37.2.', evidence: 'temperature is 37.2'}],
        assessment: [{statement: 'Viral bronchitis.', evidence: 'This is likely a viral bronchitis.'}],
        plan: [
          {statement: 'Return if fever.', evidence: 'come back if you get a fever'},
          {statement: 'Start antibiotics.', evidence: 'I will prescribe amoxicillin.'},
        ],
      },
    }))
    const note = await soapTask.run(dialogue, {engine, settings})
    expect(note.subjective).toEqual([{statement: 'Cough for three days.', evidence: 'Patient: I have had a cough for three days.', start: 28, end: 71, unsupported: false}])
    expect(note.objective[0].evidence).toBe('Doctor: Your temperature is 37.2 and your lungs are clear.')
    expect(note.plan[0].evidence).toBe('Rest, fluids, and come back if you get a fever.')
    expect(note.plan[1]).toEqual({statement: 'Start antibiotics.', evidence: 'I will prescribe amoxicillin.', start: null, end: null, unsupported: true})
    expect(note.review_required).toBe(true)
    expect(note.truncated).toBeUndefined()
    expectEvidenceInvariant(dialogue, note)
  })

  it('has the four sections and no review flag when every statement is supported', async () => {
    const engine = scriptedEngine(() => ({json: {subjective: [], objective: [], assessment: [{statement: 'Bronchitis.', evidence: 'viral bronchitis'}], plan: []}}))
    const note = await soapTask.run(dialogue, {engine, settings})
    expect(Object.keys(note)).toEqual(['subjective', 'objective', 'assessment', 'plan', 'review_required'])
    expect(note.review_required).toBe(false)
  })

  it('always has the four sections, even from an answer cut off at max tokens, and then asks for review', async () => {
    const engine = scriptedEngine(() => ({text: '{"subjective":[{"statement":"Cough.","evidence":"No fever."},{"statement":"x'}))
    const note = await soapTask.run(dialogue, {engine, settings})
    expect(note).toEqual({
      subjective: [{statement: 'Cough.', evidence: 'No fever.', start: 72, end: 81, unsupported: false}],
      objective: [],
      assessment: [],
      plan: [],
      review_required: true,
      truncated: true,
    })
  })

  it('constrains the answer to the four sections with bounded lists and strings', async () => {
    const engine = scriptedEngine(() => ({json: {subjective: [], objective: [], assessment: [], plan: []}}))
    await soapTask.run('Cough.', {engine, settings})
    const schema = engine.requests[0].schema as {properties: Record<string, {maxItems: number; items: {properties: Record<string, {maxLength: number}>}}>}
    expect(Object.keys(schema.properties)).toEqual([...SOAP_SECTIONS])
    for (const section of SOAP_SECTIONS) {
      expect(schema.properties[section].maxItems).toBeGreaterThan(0)
      expect(schema.properties[section].items.properties.statement.maxLength).toBeGreaterThan(0)
      expect(schema.properties[section].items.properties.evidence.maxLength).toBeGreaterThan(0)
    }
  })

  it('gives an empty note for empty text without calling the model', async () => {
    const engine = scriptedEngine(() => ({json: {}}))
    expect(await soapTask.run(' ', {engine, settings})).toEqual({subjective: [], objective: [], assessment: [], plan: [], review_required: false})
    expect(engine.requests).toHaveLength(0)
  })

  it('splits a long transcript, joins the sections, and keeps offsets in the whole source', async () => {
    const turns = Array.from({length: 12}, (_, i) => `Patient: Turn ${i} I have a cough. ${'more words here '.repeat(10)}`)
    const source = turns.join('\n\n')
    const engine = scriptedEngine(() => ({json: {subjective: [{statement: 'Cough.', evidence: 'I have a cough.'}], objective: [], assessment: [], plan: []}}), 500)
    const note = await soapTask.run(source, {engine, settings})
    expect(engine.requests.length).toBeGreaterThan(1)
    expect(note.subjective).toHaveLength(engine.requests.length)
    expect(new Set(note.subjective.map((item) => item.start)).size).toBe(engine.requests.length)
    expectEvidenceInvariant(source, note)
  })

  it('renders a clean SOAP note', () => {
    const text = soapTask.renderText({
      subjective: [{statement: 'Cough.', evidence: 'I have a\ncough.', start: 0, end: 15, unsupported: false}],
      objective: [],
      assessment: [{statement: 'Flu.', evidence: 'flu', start: null, end: null, unsupported: true}],
      plan: [],
      review_required: true,
    })
    expect(text).toBe(
      [
        'SUBJECTIVE\n- Cough.\n  Evidence: "I have a cough." (0-15)',
        'OBJECTIVE\n  (nothing in the text)',
        'ASSESSMENT\n- Flu.\n  [UNSUPPORTED: the cited evidence is not in the text]',
        'PLAN\n  (nothing in the text)',
        'REVIEW REQUIRED: 1 statement cites evidence that is not in the text.',
      ].join('\n\n'),
    )
  })

  it('writes the note under "soap" through the pipeline (echo engine)', async () => {
    const writer = memoryWriter()
    await runTask({task: soapTask, engine: await createEngine({kind: 'echo'}), source: await sourceOf('{"id":"v1","text":"Cough."}\n'), writer, settings})
    expect(writer.records()).toEqual([{id: 'v1', text: 'Cough.', soap: {subjective: [], objective: [], assessment: [], plan: [], review_required: false}}])
  })
})
