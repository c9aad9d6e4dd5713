import {describe, expect, it} from 'vitest'

import type {JsonSchema} from '../../../src/lib/engine/index.js'
import {collectEvidence, createExtractTask, mergeExtractions, parseConciseSchema} from '../../../src/lib/tasks/index.js'
import {scriptedEngine} from '../tasks/fake-engine.js'

const settings = {maxTokens: 64, temperature: 0}
const meds = parseConciseSchema('patient, age int, meds [name, dose]')

describe('extract task', () => {
  it('gives evidence with exact offsets for values in the text and lists the others as unsupported', async () => {
    const source = 'Pt John  Smith, 67. Started METFORMIN 500 mg; metformin 500 mg again. Lisinopril.'
    const engine = scriptedEngine(() => ({
      json: {patient: 'john smith', age: 67, meds: [{name: 'metformin', dose: '500 mg'}, {name: 'Metformin', dose: '1000 mg'}, {name: 'lisinopril', dose: ''}]},
    }))
    const result = await createExtractTask({schema: meds}).run(source, {engine, settings})
    expect(result.data).toEqual({patient: 'john smith', age: 67, meds: [{name: 'metformin', dose: '500 mg'}, {name: 'Metformin', dose: '1000 mg'}, {name: 'lisinopril', dose: ''}]})
    expect(result.evidence).toEqual([
      {path: '/patient', text: 'John  Smith', start: 3, end: 14},
      {path: '/meds/0/name', text: 'METFORMIN', start: 28, end: 37},
      {path: '/meds/0/dose', text: '500 mg', start: 38, end: 44},
      {path: '/meds/1/name', text: 'metformin', start: 46, end: 55},
      {path: '/meds/2/name', text: 'Lisinopril', start: 70, end: 80},
    ])
    expect(result.unsupported).toEqual(['/meds/1/dose'])
    for (const e of result.evidence) expect(source.slice(e.start, e.end)).toBe(e.text)
  })

  it('asks under a grammar compiled from the bounded schema, and validates against the user schema', async () => {
    const engine = scriptedEngine(() => ({json: {patient: '', age: 1, meds: []}}))
    await createExtractTask({schema: meds, bounds: {maxStringLength: 7, maxItems: 2}}).run('text', {engine, settings})
    const [request] = engine.requests
    expect(request.grammar).toMatch(/^root ::= /)
    expect(request.grammar).toContain('char{0,7}')
    expect(request.system).toContain(JSON.stringify(meds))
    expect(request.user).toBe('text')
  })

  it('keeps the complete part of a cut-off answer when it is still valid, and fails when it is not', async () => {
    const optional = {type: 'object', properties: {a: {type: 'string'}, b: {type: 'array', items: {type: 'string'}}}} as JsonSchema
    const cut = scriptedEngine(() => ({text: '{"a":"x","b":["y","z'}))
    const result = await createExtractTask({schema: optional}).run('x y z', {engine: cut, settings})
    expect(result.truncated).toBe(true)
    expect(result.data).toEqual({a: 'x', b: ['y']})
    const required = scriptedEngine(() => ({text: '{"patient":"x","ag'}))
    await expect(createExtractTask({schema: meds}).run('x', {engine: required, settings})).rejects.toMatchObject({code: 'E_OUTPUT_TRUNCATED', exitCode: 7})
  })

  it('cuts a string over its maxLength (broken UTF-8 can overrun the grammar) so that the data stays valid', async () => {
    const schema = {type: 'object', properties: {a: {type: 'string', maxLength: 3}, b: {type: 'string'}}, required: ['a', 'b']} as JsonSchema
    const engine = scriptedEngine(() => ({json: {a: 'abc\uFFFD\uFFFD', b: 'x'.repeat(12)}}))
    const result = await createExtractTask({schema, bounds: {maxStringLength: 10, maxItems: 2}}).run('abc', {engine, settings})
    expect(result.data).toEqual({a: 'abc', b: 'x'.repeat(10)})
    expect(result.evidence).toEqual([{path: '/a', text: 'abc', start: 0, end: 3}])
  })

  it('merges the answers of a long text part by part, with evidence offsets into the whole text', async () => {
    const paragraphs = Array.from({length: 6}, (_, i) => `Paragraph ${i}: took drug${i} daily. ${'filler words here '.repeat(8)}`)
    const source = paragraphs.join('\n\n')
    const firsts: number[] = []
    const engine = scriptedEngine((request) => {
      const i = Number(/Paragraph (\d)/.exec(request.user)?.[1])
      firsts.push(i)
      return {json: {patient: i === 0 ? '' : `drug${i}`, age: i, meds: [{name: `drug${i}`, dose: 'daily'}, {name: 'drug1', dose: 'daily'}]}}
    }, 160)
    const result = await createExtractTask({schema: meds}).run(source, {engine, settings: {maxTokens: 16, temperature: 0}})
    expect(firsts.length).toBeGreaterThan(2)
    expect(result.chunks).toBe(firsts.length)
    const data = result.data as {patient: string; age: number; meds: Array<{name: string}>}
    // The first part's patient is empty, so the second part's fills it; the first part's age stays.
    expect(data.patient).toBe(`drug${firsts[1]}`)
    expect(data.age).toBe(0)
    expect(data.meds.map((m) => m.name)).toEqual([...new Set(firsts.flatMap((i) => [`drug${i}`, 'drug1']))])
    for (const e of result.evidence) expect(source.slice(e.start, e.end)).toBe(e.text)
    const last = firsts.at(-1)!
    const path = `/meds/${data.meds.findIndex((m) => m.name === `drug${last}`)}/name`
    expect(result.evidence.find((e) => e.path === path)).toMatchObject({text: `drug${last}`, start: source.indexOf(`drug${last}`)})
  })
})

describe('mergeExtractions', () => {
  const schema = {
    type: 'object',
    properties: {
      s: {type: ['string', 'null']},
      n: {type: 'integer'},
      list: {type: 'array', maxItems: 3, items: {type: 'string'}},
      kind: {enum: ['a', 'b']},
      nested: {type: 'object', properties: {x: {type: 'string'}, y: {type: 'array', items: {type: 'integer'}}}},
    },
  } as JsonSchema

  it('concatenates lists without duplicates up to maxItems, fills empty scalars only, merges objects field by field', () => {
    const merged = mergeExtractions(
      [
        {s: null, n: 1, list: ['a', 'b'], kind: 'b', nested: {x: '', y: [1]}},
        {s: 'second', n: 2, list: ['b', 'c', 'd'], kind: 'a', nested: {x: 'x2', y: [1, 2]}},
        {s: 'third', n: 3, list: ['e'], kind: 'a', nested: {x: 'x3', y: [3]}},
      ],
      schema,
    )
    expect(merged).toEqual({s: 'second', n: 1, list: ['a', 'b', 'c'], kind: 'b', nested: {x: 'x2', y: [1, 2, 3]}})
  })

  it('is the value itself for one part', () => {
    expect(mergeExtractions([{n: 5}], schema)).toEqual({n: 5})
  })
})

describe('collectEvidence', () => {
  it('skips enum and const strings and empty ones, follows $ref and anyOf', () => {
    const schema = {
      type: 'object',
      properties: {kind: {enum: ['fever']}, c: {const: 'fever'}, v: {$ref: '#/$defs/v'}, any: {anyOf: [{type: 'integer'}, {type: 'string'}]}, e: {type: 'string'}},
      $defs: {v: {type: 'string'}},
    } as unknown as JsonSchema
    const result = collectEvidence({kind: 'fever', c: 'fever', v: 'Fever', any: 'cough', e: ' '}, schema, 'fever and cough')
    expect(result).toEqual({evidence: [{path: '/v', text: 'fever', start: 0, end: 5}, {path: '/any', text: 'cough', start: 10, end: 15}], unsupported: []})
  })

  it('passes over an occurrence inside the evidence of an earlier value', () => {
    const schema = parseConciseSchema('meds [name, frequency]')
    const text = 'Metformin twice daily. Lisinopril daily.'
    const {evidence} = collectEvidence({meds: [{name: 'metformin', frequency: 'twice daily'}, {name: 'lisinopril', frequency: 'daily'}]}, schema, text)
    expect(evidence.at(-1)).toEqual({path: '/meds/1/frequency', text: 'daily', start: 34, end: 39})
    expect(text.slice(34, 39)).toBe('daily')
  })

  it('escapes JSON Pointer segments and never gives offsets to what is not there', () => {
    const schema = {type: 'object', properties: {'a/b': {type: 'string'}, 'c~d': {type: 'string'}}} as JsonSchema
    expect(collectEvidence({'a/b': 'zzz', 'c~d': '...'}, schema, 'text')).toEqual({evidence: [], unsupported: ['/a~1b', '/c~0d']})
  })
})
