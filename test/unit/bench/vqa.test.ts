import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {bleu1, cleanVqaAnswer, CLOSED_INSTRUCTION, loadVqaRad, parseVqaRad, scoreVqaAnswer, summarizeVqa, vqaPrompt, wilsonInterval, type VqaRecord} from '../../../src/lib/bench/index.js'
import {createVisionEngine} from '../../../src/lib/engine/index.js'
import {benchVqaRad, loadVqaCorpus} from '../../../src/lib/use-cases/index.js'
import {BENCH_RECORD_BASE} from '../../helpers/bench-record.js'
import {drawJpeg} from '../../helpers/images.js'
import {validateBenchRecord} from './json-schema.js'

describe('cleanVqaAnswer (MultiMedEval clean_str)', () => {
  // Expected values computed by running MultiMedEval's clean_str on the same inputs.
  it.each([
    ['Are regions of the brain infarcted?', 'are regions of brain infarcted'],
    ['mri-dwi', 'mri dwi'],
    ['Yes.', 'yes'],
    ['No, it is not.', 'no it is not'],
    ['Two lesions', '2 lesions'],
    ['none', '0'],
    ['The left lung', 'left lung'],
    ['dont know', "don't know"],
    ['isnt it', "isn't it"],
    ['1,000 cells, (left)', '1000 cells left'],
    ['3.5 cm.', '3.5 cm'],
    ['1.2.3.', '1.2.3'],
    ['e.g. a...b.c.d', 'eg abcd'],
    ['     ', ''],
    ['(COPD)', 'copd'],
    ['a - b', 'b'],
    ['x/y; z', 'x y z'],
    ['PA_view', 'pa view'],
    ['one,two', '1 2'],
    ['yes?!', 'yes'],
    ['Posterior-Anterior', 'posterior anterior'],
  ])('%j → %j', (text, cleaned) => {
    expect(cleanVqaAnswer(text)).toBe(cleaned)
  })
})

describe('scoreVqaAnswer', () => {
  it.each([
    // [prediction, reference, correct]: the no/not rule makes "not" alone count for a reference "no".
    ['no', 'No', true],
    ['not', 'no', true],
    ['There is not any effusion.', 'no', true],
    ['yes', 'no', false],
    ['Yes, there is.', 'yes', true],
    ['no', 'Yes', false],
    ['not', 'yes', false],
    ['', 'yes', false],
  ])('closed: %j against %j is correct: %s', (prediction, reference, correct) => {
    const score = scoreVqaAnswer(prediction, reference)
    expect(score.closed).toBe(true)
    expect(score.correct).toBe(correct)
  })

  it('keeps plain recall, precision and F1 for a "not" answer to "no" (the rule touches only correctness)', () => {
    expect(scoreVqaAnswer('not', 'no')).toMatchObject({closed: true, correct: true, recall: 0, precision: 0, f1: 0, bleu1: 0})
    expect(scoreVqaAnswer('no', 'no')).toMatchObject({recall: 1, precision: 1, bleu1: 1})
  })

  it('scores open questions by recall ≥ 0.75, with F1 and BLEU-1 of the cleaned texts', () => {
    expect(scoreVqaAnswer('The right side.', 'Right side')).toMatchObject({closed: false, correct: true, recall: 1, precision: 1, bleu1: 1})
    const partial = scoreVqaAnswer('anterior', 'Posterior-Anterior')
    expect(partial).toMatchObject({closed: false, correct: false, recall: 0.5, precision: 1})
    expect(partial.f1).toBeCloseTo(2 / 3, 6)
    expect(partial.bleu1).toBeCloseTo(Math.exp(1 - 2), 10)
    expect(scoreVqaAnswer('left lower lobe', 'left lung lower lobe')).toMatchObject({correct: true, recall: 0.75})
  })

  it('takes closedness from the answer, not from a question type', () => {
    expect(scoreVqaAnswer('left', 'left').closed).toBe(false)
    expect(scoreVqaAnswer('yes', 'Yes.').closed).toBe(true)
  })
})

describe('bleu1', () => {
  it('clips repeated words and applies the brevity penalty only to short predictions', () => {
    expect(bleu1('yes yes', 'yes')).toBe(0.5)
    expect(bleu1('left', 'left lung')).toBeCloseTo(Math.exp(-1), 12)
    expect(bleu1('right', 'left')).toBe(0)
    expect(bleu1('', 'left')).toBe(0)
  })
})

describe('summarizeVqa', () => {
  it('gives closed accuracy with a Wilson interval, open recall and accuracy, and means over all', () => {
    const scores = [
      scoreVqaAnswer('yes', 'yes'),
      scoreVqaAnswer('not', 'no'),
      scoreVqaAnswer('yes', 'no'),
      scoreVqaAnswer('right side', 'right side'),
      scoreVqaAnswer('anterior', 'posterior anterior'),
    ]
    const figures = summarizeVqa(scores, 1)
    expect(figures).toMatchObject({n: 5, failed: 1, closed: {n: 3, correct: 2}, open: {n: 2, correct: 1, accuracy: 0.5, meanRecall: 0.75}})
    expect(figures.closed.accuracy).toBeCloseTo(2 / 3, 12)
    expect(figures.closed.ci95).toEqual(wilsonInterval(2, 3))
    expect(figures.recall).toBeCloseTo((1 + 0 + 0 + 1 + 0.5) / 5, 12)
    expect(figures.bleu1).toBeCloseTo((1 + 0 + 0 + 1 + Math.exp(-1)) / 5, 12)
  })

  it('reports empty groups as 0 with the interval [0, 1]', () => {
    expect(summarizeVqa([])).toMatchObject({n: 0, closed: {n: 0, accuracy: 0, ci95: [0, 1]}, open: {n: 0, meanRecall: 0}, bleu1: 0, f1: 0})
  })
})

describe('the VQA-RAD prompt', () => {
  it('puts the yes/no instruction before closed questions only', () => {
    expect(vqaPrompt({question: 'Is there a mass?', answer: 'Yes'})).toBe(`${CLOSED_INSTRUCTION} Is there a mass?`)
    expect(vqaPrompt({question: 'Which side?', answer: 'Left'})).toBe('Which side?')
  })
})

const rows = [
  {qid: 1, image_name: 'a.jpg', question: 'Is this an MRI?', answer: 'Yes', answer_type: 'CLOSED', phrase_type: 'test_freeform'},
  {qid: 2, image_name: 'a.jpg', question: 'Which lobe?', answer: 'Right lower lobe', answer_type: 'OPEN', phrase_type: 'test_para'},
  {qid: 3, image_name: 'b.jpg', question: 'How many lesions?', answer: 2, answer_type: 'OPEN', phrase_type: 'test_freeform'},
  {qid: 4, image_name: 'a.jpg', question: 'Is it normal?', answer: 'no', answer_type: 'CLOSED', phrase_type: 'freeform'},
  {qid: 5, image_name: 'missing.jpg', question: 'Is there air?', answer: 'no', answer_type: 'CLOSED', phrase_type: 'test_freeform'},
]

describe('VQA-RAD data', () => {
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-vqa-'))
    await mkdir(join(dir, 'vqa-rad', 'images'), {recursive: true})
    await writeFile(join(dir, 'vqa-rad', 'vqa_rad.json'), JSON.stringify(rows))
    await writeFile(join(dir, 'vqa-rad', 'images', 'a.jpg'), drawJpeg(32, 32))
    await writeFile(join(dir, 'vqa-rad', 'images', 'b.jpg'), drawJpeg(40, 24))
    await mkdir(join(dir, 'bench'))
    await writeFile(join(dir, 'mmproj-x.gguf'), 'not a real projector')
  })

  afterAll(() => rm(dir, {recursive: true, force: true}))

  it('keeps the test split and turns numeric answers into text', () => {
    const items = parseVqaRad(JSON.stringify(rows), '/img')
    expect(items.map((item) => item.qid)).toEqual(['1', '2', '3', '5'])
    expect(items[2]).toMatchObject({answer: '2', imagePath: join('/img', 'b.jpg')})
  })

  it('rejects what is not a VQA-RAD list, with a hint', () => {
    expect(() => parseVqaRad('{}', '/img')).toThrow(expect.objectContaining({code: 'E_DATASET', hint: expect.stringContaining('image_name')}))
    expect(() => parseVqaRad('[{"phrase_type":"test_para","question":"q"}]', '/img')).toThrow(expect.objectContaining({code: 'E_DATASET'}))
  })

  it('skips and counts questions without an image, from DIR or from DIR/bench', async () => {
    for (const dataDir of [dir, join(dir, 'bench')]) {
      const corpus = await loadVqaRad(dataDir)
      expect(corpus.items.map((item) => item.qid)).toEqual(['1', '2', '3'])
      expect(corpus.missingImages).toBe(1)
      expect((await loadVqaRad(dataDir, {limit: 2})).items).toHaveLength(2)
    }
  })

  it('benchmarks through a vision engine into a record the schema accepts', async () => {
    const corpus = await loadVqaRad(dir)
    const prompts: string[] = []
    const echo = await createVisionEngine({kind: 'echo'})
    const record: VqaRecord = await benchVqaRad(corpus, {
      modelPath: join(dir, 'x.gguf'),
      base: BENCH_RECORD_BASE,
      createVisionEngine: async () => ({...echo, info: echo.info, chat: async (request) => (prompts.push(request.user), echo.chat(request)), dispose: () => echo.dispose()}),
    })
    expect(prompts).toEqual([`${CLOSED_INSTRUCTION} Is this an MRI?`, 'Which lobe?', 'How many lesions?'])
    expect(record).toMatchObject({kind: 'vqa', task: 'vqa-rad', settings: {limit: null, maxTokens: 32, mmproj: {path: join(dir, 'mmproj-x.gguf')}}})
    expect(record.vqa).toMatchObject({n: 3, failed: 0, missingImages: 1, closed: {n: 1}, open: {n: 2}})
    expect(validateBenchRecord(record)).toEqual([])
  })

  it('refuses a model without a projector before loading anything', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'jsl-med-vqa-none-'))
    try {
      await expect(loadVqaCorpus(dir, {modelPaths: [join(dir, 'x.gguf'), join(empty, 'x.gguf')]})).rejects.toMatchObject({code: 'E_NO_PROJECTOR', hint: expect.stringContaining('--mmproj')})
      expect((await loadVqaCorpus(dir, {modelPaths: [join(empty, 'x.gguf')], mmproj: join(dir, 'mmproj-x.gguf')})).items).toHaveLength(3)
      const corpus = await loadVqaRad(dir)
      await expect(benchVqaRad(corpus, {modelPath: join(empty, 'x.gguf'), base: BENCH_RECORD_BASE, createVisionEngine: () => Promise.reject(new Error('loaded'))})).rejects.toMatchObject({code: 'E_NO_PROJECTOR'})
    } finally {
      await rm(empty, {recursive: true, force: true})
    }
  })
})
