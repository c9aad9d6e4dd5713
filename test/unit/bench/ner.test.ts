import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {goldSpans, locateMentions, nerSchema, normalizeNerLabel, parsePubTator, runNer, scoreSpans} from '../../../src/lib/bench/index.js'
import type {ChatRequest, Engine, Generation} from '../../../src/lib/engine/index.js'
import {EngineError} from '../../../src/lib/errors/index.js'
import {root} from '../../helpers/spawn-cli.js'

const span = (start: number, end: number, label = 'Disease') => ({start, end, label})

describe('scoreSpans', () => {
  it('counts strict matches on exact span and label, and overlap matches one to one', () => {
    const gold = [[span(0, 7, 'Chemical'), span(10, 20), span(30, 40)], [span(5, 9)]]
    const predicted = [
      [span(0, 7, 'Chemical'), span(12, 25), span(12, 25), span(30, 40, 'Chemical'), span(50, 60)],
      [],
    ]
    const {strict, overlap} = scoreSpans(gold, predicted)
    // Predictions (deduplicated): 4. Strict: only the chemical. Overlap: chemical + 12–25 over 10–20.
    expect(strict).toMatchObject({tp: 1, fp: 3, fn: 3})
    expect(strict.precision).toBe(0.25)
    expect(strict.recall).toBe(0.25)
    expect(overlap).toMatchObject({tp: 2, fp: 2, fn: 2, precision: 0.5, recall: 0.5, f1: 0.5})
  })

  it('matches each gold span at most once, also for duplicates in the gold', () => {
    expect(scoreSpans([[span(0, 10)]], [[span(0, 5), span(5, 10)]]).overlap).toMatchObject({tp: 1, fp: 1, fn: 0})
    expect(scoreSpans([[span(0, 5), span(0, 5)]], [[span(0, 5)]]).strict).toMatchObject({tp: 1, fp: 0, fn: 1})
    expect(() => scoreSpans([[]], [])).toThrow(RangeError)
  })

  it('gives perfect figures for a perfect prediction of the fixture corpus', async () => {
    const documents = parsePubTator(await readFile(join(root, 'test/fixtures/bench/ner/bc5cdr_test.pubtator.txt'), 'utf8'))
    const gold = documents.map(goldSpans)
    expect(scoreSpans(gold, gold).strict).toMatchObject({tp: 21, fp: 0, fn: 0, f1: 1})
  })
})

describe('labels and mention location', () => {
  it('maps NCBI-disease types to Disease and keeps BC5CDR labels', () => {
    expect(['Chemical', 'Disease', 'SpecificDisease', 'DiseaseClass', 'Modifier', 'CompositeMention', 'Gene'].map(normalizeNerLabel)).toEqual([
      'Chemical',
      'Disease',
      'Disease',
      'Disease',
      'Disease',
      'Disease',
      undefined,
    ])
  })

  it('finds every whole-word occurrence, once per distinct mention', () => {
    const text = 'Lithium and lithium; lithiumate. lithium'
    expect(locateMentions(text, [{text: 'lithium', label: 'Chemical'}, {text: ' lithium ', label: 'Chemical'}, {text: 'x', label: 'Chemical'}, {text: 'absent', label: 'Chemical'}])).toEqual([
      {start: 12, end: 19, label: 'Chemical'},
      {start: 33, end: 40, label: 'Chemical'},
    ])
  })

  it('bounds the extraction schema so that random models terminate', () => {
    expect(nerSchema(['Chemical', 'Disease'])).toEqual({
      type: 'object',
      properties: {entities: {type: 'array', maxItems: 40, items: {type: 'object', properties: {text: {type: 'string', maxLength: 80}, label: {enum: ['Chemical', 'Disease']}}}}},
    })
  })
})

describe('runNer', () => {
  it('extracts with the engine, locates the mentions and scores them; failed documents count as misses', async () => {
    const documents = parsePubTator(await readFile(join(root, 'test/fixtures/bench/ner/bc5cdr_test.pubtator.txt'), 'utf8'))
    const requests: ChatRequest[] = []
    const engine: Engine = {
      info: {kind: 'echo', contextSize: 4096, sequences: 1, threads: 1, gpu: false, chatWrapper: 'none'},
      countTokens: () => 0,
      countPromptTokens: () => 0,
      async chat(request): Promise<Generation> {
        requests.push(request)
        if (request.user.startsWith('Cisplatin')) throw new EngineError('cut off', {}, 'E_OUTPUT_INVALID')
        const json = request.user.startsWith('Lithium')
          ? {entities: [{text: 'lithium', label: 'Chemical'}, {text: 'tremor', label: 'Disease'}, {text: 'Gene X', label: 'Gene'}]}
          : {entities: [{text: 'paracetamol', label: 'Chemical'}, {text: 'liver failure', label: 'Disease'}]}
        return {text: JSON.stringify(json), json, stopReason: 'endOfText', promptTokens: 1, outputTokens: 1, durationMs: 1}
      },
      async dispose() {},
    }
    const failures: string[] = []
    const figures = await runNer(documents, {engine, maxTokens: 64, onDocumentError: (pmid, error) => failures.push(`${pmid} ${error.code}`)})
    expect(failures).toEqual(['91000003 E_OUTPUT_INVALID'])
    expect(requests[0]).toMatchObject({maxTokens: 64, temperature: 0, schema: nerSchema(['Chemical', 'Disease'])})
    expect(figures).toMatchObject({documents: 3, goldMentions: 21, failedDocuments: 1, labels: ['Chemical', 'Disease']})
    // doc 1: lithium ×2 and tremor ×2 exact (Lithium/Tremor capitalised are not found) → 4 tp; doc 2: paracetamol ×2 exact,
    // "liver failure" inside "Acute liver failure" overlaps only.
    expect(figures.strict).toMatchObject({tp: 6, fp: 1, fn: 15})
    expect(figures.overlap).toMatchObject({tp: 7, fp: 0, fn: 14})
    expect(figures.predictedMentions).toBe(7)
  })
})
