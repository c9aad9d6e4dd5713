import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {chunkText, parsePartialJson, splitBlocks, splitSentences} from '../../../src/lib/tasks/index.js'

const texts = (text: string, spans: Array<{start: number; end: number}>): string[] => spans.map((span) => text.slice(span.start, span.end))
const words = (text: string): number => text.split(/\s+/).filter(Boolean).length

describe('splitSentences', () => {
  it('splits on sentence ends and line breaks, keeping clinical abbreviations and decimals together', () => {
    const text = 'Pt. seen by Dr. Smith at 8 a.m. today. Temp 38.4, BP 120/80! Any pain? No.\nDoctor: Take it b.i.d. with food.\n\nPlan: f/u in 2 wks'
    expect(texts(text, splitSentences(text))).toEqual([
      'Pt. seen by Dr. Smith at 8 a.m. today.',
      'Temp 38.4, BP 120/80!',
      'Any pain?',
      'No.',
      'Doctor: Take it b.i.d. with food.',
      'Plan: f/u in 2 wks',
    ])
  })

  it('gives trimmed, non-empty, ordered spans for any text', () => {
    fc.assert(
      fc.property(fc.string({unit: fc.constantFrom('a', 'B', '.', '!', '?', ' ', '\n', '"', 'é')}), (text) => {
        const spans = splitSentences(text)
        let last = 0
        for (const span of spans) {
          expect(span.start).toBeGreaterThanOrEqual(last)
          expect(span.end).toBeGreaterThan(span.start)
          expect(text.slice(span.start, span.end)).toBe(text.slice(span.start, span.end).trim())
          last = span.end
        }

        expect(spans.map((span) => text.slice(span.start, span.end)).join('').replaceAll(/\s/g, '')).toBe(text.replaceAll(/\s/g, ''))
      }),
    )
  })
})

describe('splitBlocks', () => {
  it('splits on blank lines and at section headings', () => {
    const text = 'HPI: cough for 3 days.\nNo fever.\nASSESSMENT:\nPneumonia.\n\n\nPlan: amoxicillin.\nfollow up.'
    expect(texts(text, splitBlocks(text))).toEqual(['HPI: cough for 3 days.\nNo fever.', 'ASSESSMENT:\nPneumonia.', 'Plan: amoxicillin.\nfollow up.'])
  })

  it('gives nothing for blank text', () => {
    expect(splitBlocks(' \n\n\t')).toEqual([])
  })
})

describe('chunkText', () => {
  const countTokens = words

  it('keeps whole paragraphs together when they fit', () => {
    const text = 'one two three\n\nfour five\n\nsix seven eight nine'
    expect(texts(text, chunkText(text, {countTokens, budgetTokens: 6}))).toEqual(['one two three\n\nfour five', 'six seven eight nine'])
  })

  it('cuts an oversized paragraph on sentences, then words, then inside a word', () => {
    const text = 'Ab bc cd. De ef fg gh hi. Ij jk'
    expect(texts(text, chunkText(text, {countTokens, budgetTokens: 3}))).toEqual(['Ab bc cd.', 'De ef fg', 'gh hi.', 'Ij jk'])
    const blob = 'x'.repeat(40)
    const chunks = chunkText(blob, {countTokens: (piece) => Math.ceil(piece.length / 10), budgetTokens: 1})
    expect(texts(blob, chunks).join('')).toBe(blob)
    for (const chunk of chunks) expect(chunk.end - chunk.start).toBeLessThanOrEqual(10)
  })

  it('never splits a surrogate pair', () => {
    const text = '😀'.repeat(9)
    const chunks = chunkText(text, {countTokens: (piece) => piece.length, budgetTokens: 3})
    for (const chunk of texts(text, chunks)) expect(chunk).toMatch(/^(?:😀)+$/u)
  })

  it('honours an exact check that is stricter than the estimate', () => {
    const text = Array.from({length: 12}, (_, i) => `p${i} word word`).join('\n\n')
    const chunks = chunkText(text, {countTokens, budgetTokens: 100, fits: (chunk) => words(chunk) <= 7})
    expect(chunks.length).toBeGreaterThan(1)
    for (const chunk of texts(text, chunks)) expect(words(chunk)).toBeLessThanOrEqual(7)
  })

  it('covers every word exactly once, in order, each chunk within budget', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('w', 'word', 'x.', 'HPI:', '\n', '\n\n', ' ', 'y?'), {maxLength: 80}), fc.integer({min: 1, max: 12}), (parts, budget) => {
        const text = parts.join(' ')
        const chunks = chunkText(text, {countTokens, budgetTokens: budget})
        const pieces = texts(text, chunks)
        for (const piece of pieces) expect(words(piece)).toBeLessThanOrEqual(budget)
        expect(pieces.join(' ').split(/\s+/).filter(Boolean)).toEqual(text.split(/\s+/).filter(Boolean))
        for (let i = 1; i < chunks.length; i++) expect(chunks[i].start).toBeGreaterThanOrEqual(chunks[i - 1].end)
      }),
    )
  })
})

describe('parsePartialJson', () => {
  it('parses complete JSON', () => {
    expect(parsePartialJson('{"a":[1,{"b":"c"}],"d":true}')).toEqual({value: {a: [1, {b: 'c'}], d: true}, complete: true})
  })

  it('keeps the complete members of JSON cut off anywhere', () => {
    expect(parsePartialJson('{"entities":[{"text":"pain","label":"PROBLEM"},{"text":"fev')).toEqual({
      value: {entities: [{text: 'pain', label: 'PROBLEM'}, {}]},
      complete: false,
    })
    expect(parsePartialJson('{"s":[],"o":[{"x":"1"}],"a":tr')).toEqual({value: {s: [], o: [{x: '1'}]}, complete: false})
    expect(parsePartialJson('{"a":"x\\')).toEqual({value: {}, complete: false})
    expect(parsePartialJson('[1, 2')).toEqual({value: [1], complete: false})
    expect(parsePartialJson('')).toEqual({value: undefined, complete: false})
  })

  it('parses every prefix of a JSON document without throwing', () => {
    fc.assert(
      fc.property(fc.json(), fc.nat(), (json, cut) => {
        const prefix = json.slice(0, cut % (json.length + 1))
        const {complete} = parsePartialJson(prefix)
        if (complete) expect(parsePartialJson(prefix).value).toEqual(JSON.parse(prefix))
      }),
      {numRuns: 500},
    )
  })

  it('rejects text that is not JSON', () => {
    expect(() => parsePartialJson('{"a" 1}')).toThrow(SyntaxError)
    expect(() => parsePartialJson('hello')).toThrow(SyntaxError)
  })
})
