import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {createAskTask, verifyCitations, type Passage, type RetrievedPassage} from '../../../src/lib/tasks/index.js'
import {scriptedEngine} from './fake-engine.js'

const settings = {maxTokens: 64, temperature: 0}
const passages: RetrievedPassage[] = [
  {doc: 'guideline.pdf', chunk: 3, text: 'Metformin is first-line therapy for type 2 diabetes.\nStart at 500 mg daily.', relevant: true},
  {doc: 'r7', chunk: 0, text: 'Warfarin requires INR monitoring; amiodarone raises the INR.', relevant: true},
]

describe('verifyCitations', () => {
  it('keeps quotes found in the passage they name, with its own text and offsets, and counts the rest', () => {
    const {citations, dropped} = verifyCitations(passages, [
      {passage: 1, quote: 'first-line therapy'},
      {passage: 1, quote: 'START AT  500 mg'},
      {passage: 2, quote: 'amiodarone raises the INR'},
      {passage: 2, quote: 'metformin'}, // in passage 1, not 2
      {passage: 3, quote: 'Warfarin'}, // no passage 3
      {passage: 1, quote: 'insulin glargine'}, // not anywhere
      {passage: '1', quote: 'Metformin'},
      {passage: 1, quote: 42},
    ])
    expect(citations).toEqual([
      {doc: 'guideline.pdf', chunk: 3, start: 13, end: 31, quote: 'first-line therapy'},
      {doc: 'guideline.pdf', chunk: 3, start: 53, end: 68, quote: 'Start at 500 mg'},
      {doc: 'r7', chunk: 0, start: 34, end: 59, quote: 'amiodarone raises the INR'},
    ])
    expect(dropped).toBe(5)
  })

  it('holds quote === chunkText.slice(start, end) for every citation of any proposed answer', () => {
    const word = fc.stringMatching(/^[A-Za-z0-9éß-]{1,8}$/)
    const chunkText = fc.array(word, {minLength: 1, maxLength: 30}).chain((words) =>
      fc.array(fc.constantFrom(' ', '  ', '\n', '\t', ', ', '. '), {minLength: words.length, maxLength: words.length}).map((gaps) => words.map((w, i) => w + gaps[i]).join('')),
    )
    const quoteOf = (texts: string[]) =>
      fc.oneof(
        // A real span of a passage, perhaps with its case and whitespace changed.
        fc.record({passage: fc.integer({min: 1, max: texts.length}), from: fc.nat(), length: fc.integer({min: 1, max: 40}), upper: fc.boolean(), squash: fc.boolean()}).map(({passage, from, length, upper, squash}) => {
          const text = texts[passage - 1]
          const start = from % text.length
          let quote = text.slice(start, start + length)
          if (upper) quote = quote.toUpperCase()
          if (squash) quote = quote.replaceAll(/\s+/g, ' ')
          return {passage, quote}
        }),
        // Anything at all, including passage numbers that do not exist.
        fc.record({passage: fc.oneof(fc.integer({min: -1, max: texts.length + 2}), fc.string()), quote: fc.oneof(fc.string(), fc.constant(null))}),
      )
    const scenario = fc.array(chunkText, {minLength: 1, maxLength: 4}).chain((texts) => fc.tuple(fc.constant(texts), fc.array(quoteOf(texts), {maxLength: 12})))
    fc.assert(
      fc.property(scenario, ([texts, proposals]) => {
        const given: Passage[] = texts.map((text, i) => ({doc: `d${i}`, chunk: i, text}))
        const {citations, dropped} = verifyCitations(given, proposals)
        expect(citations.length + dropped).toBeLessThanOrEqual(proposals.length)
        for (const citation of citations) {
          const chunk = given.find((p) => p.doc === citation.doc && p.chunk === citation.chunk)!
          expect(citation.quote).toBe(chunk.text.slice(citation.start, citation.end))
          expect(citation.end).toBeGreaterThan(citation.start)
        }
      }),
      {numRuns: 300},
    )
  })
})

describe('ask task', () => {
  it('answers from retrieved passages and reports only the verified citations', async () => {
    const engine = scriptedEngine(() => ({
      json: {insufficient: false, answer: ' Metformin. ', citations: [{passage: 1, quote: 'first-line therapy'}, {passage: 2, quote: 'made up'}]},
    }))
    const task = createAskTask({retrieve: async () => passages})
    const result = await task.run('What is first-line for type 2 diabetes?', {engine, settings})
    expect(result).toMatchObject({answer: 'Metformin.', abstained: false, dropped: 1, passages: 2})
    expect(result.citations).toEqual([{doc: 'guideline.pdf', chunk: 3, start: 13, end: 31, quote: 'first-line therapy'}])
    expect(engine.requests[0].user).toContain('[2] (r7, chunk 0)')
    expect(task.toRecord!(result)).toEqual({answer: 'Metformin.', citations: result.citations, abstained: false, citations_dropped: 1})
  })

  it('abstains without asking the model when nothing retrieved is relevant', async () => {
    const engine = scriptedEngine(() => ({json: {}}))
    const task = createAskTask({retrieve: async () => passages.map((p) => ({...p, relevant: false}))})
    const result = await task.run('Unrelated?', {engine, settings})
    expect(result).toMatchObject({abstained: true, reason: 'no_relevant_evidence', answer: '', citations: []})
    expect(engine.requests).toHaveLength(0)
  })

  it('abstains when the model says the evidence is insufficient', async () => {
    const engine = scriptedEngine(() => ({json: {insufficient: true, answer: 'The passages do not say.', citations: []}}))
    const result = await createAskTask({retrieve: async () => passages}).run('Dose in pregnancy?', {engine, settings})
    expect(result).toMatchObject({abstained: true, reason: 'insufficient_evidence'})
  })

  it('shows as many context chunks as fit, and answers from the model alone without evidence', async () => {
    const long = Array.from({length: 40}, (_, i) => `Paragraph ${i} says something about dosing.`).join('\n\n')
    const engine = scriptedEngine(() => ({json: {insufficient: false, answer: 'x', citations: [{passage: 1, quote: 'Paragraph 1 says'}]}}), 200)
    const result = await createAskTask({context: [{doc: 'ctx.txt', text: long}], contextChunkTokens: 12}).run('What about dosing?', {engine, settings})
    expect(result.passages).toBeGreaterThan(0)
    expect(result.passages).toBeLessThan(40)
    expect(result.citations[0]).toMatchObject({doc: 'ctx.txt', quote: 'Paragraph 1 says'})
    const alone = scriptedEngine(() => ({json: {insufficient: false, answer: 'y'}}))
    expect(await createAskTask().run('Q?', {engine: alone, settings})).toMatchObject({answer: 'y', citations: [], abstained: false, passages: 0})
    expect(alone.requests[0].schema).not.toHaveProperty('properties.citations')
  })

  it('fails a record with an empty question', async () => {
    await expect(createAskTask().run('  ', {engine: scriptedEngine(() => ({json: {}})), settings})).rejects.toMatchObject({code: 'E_EMPTY_QUESTION'})
  })
})
