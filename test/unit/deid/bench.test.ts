import {mkdtemp, mkdir, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {generateDeidCorpus, loadClinicalTexts, scoreDeid} from '../../../src/lib/bench/index.js'
import {formatBenchTable} from '../../../src/lib/cli/index.js'
import {loadFaker, RULE_CATEGORIES} from '../../../src/lib/deid/index.js'
import {benchDeid, loadDeidCorpus} from '../../../src/lib/use-cases/index.js'
import {validateBenchRecord} from '../bench/json-schema.js'
import {BENCH_RECORD_BASE} from '../../helpers/bench-record.js'
import {scriptedEngine} from '../tasks/fake-engine.js'

// Own PHI-free fixture text, in the two dialogue styles of the real corpora.
const TEXTS = [
  'Doctor: What brings you in today?\nPatient: My knee has been hurting for two weeks.\nDoctor: Any swelling?\nPatient: A little, mostly in the evening.',
  '[doctor] how are you feeling ?\n[patient] better , the cough is mostly gone .\n[doctor] any fever or chills ?\n[patient] no , none at all .',
  'Doctor: Do you take any medicines?\nPatient: Only lisinopril in the morning.\nDoctor: Good, keep taking it.',
]

const base = BENCH_RECORD_BASE

describe('deid corpus', () => {
  it('inserts identifiers whose gold spans index the text, every category about equally often, deterministically', async () => {
    const faker = await loadFaker()
    const texts = Array.from({length: 40}, (_, i) => TEXTS[i % TEXTS.length])
    const corpus = generateDeidCorpus(texts, faker, {seed: 7})
    expect(generateDeidCorpus(texts, faker, {seed: 7})).toEqual(corpus)
    const counts = new Map<string, number>()
    for (const {text, gold} of corpus) {
      for (const span of gold) {
        expect(span.end).toBeGreaterThan(span.start)
        expect(text.slice(span.start, span.end)).toBe(text.slice(span.start, span.end).trim())
        counts.set(span.label, (counts.get(span.label) ?? 0) + 1)
      }

      for (const line of TEXTS[corpus.indexOf(corpus.find((d) => d.text === text)!) % TEXTS.length].split('\n')) expect(text).toContain(line)
    }

    for (const category of RULE_CATEGORIES) expect(counts.get(category), category).toBeGreaterThanOrEqual(10)
  })
})

describe('bench --tasks deid', () => {
  it('finds every rule-category identifier of the generated corpus, none leaks; the model categories are reported', async () => {
    const faker = await loadFaker()
    const texts = Array.from({length: 60}, (_, i) => TEXTS[i % TEXTS.length])
    const corpus = {documents: generateDeidCorpus(texts, faker, {seed: 3, perDocument: 8}), files: ['fixture'], seed: 3}
    // A model that proposes nothing, as a random-weight one in effect does: the rules alone are measured.
    const engine = scriptedEngine(() => ({json: {phi: []}}))
    const record = await benchDeid(corpus, {engine, base})
    expect(validateBenchRecord(record)).toEqual([])
    const {categories, leakage} = record.deid
    for (const category of RULE_CATEGORIES) {
      expect(categories[category]?.detector).toBe('rule')
      expect(categories[category]!.strict.recall, category).toBeGreaterThanOrEqual(0.99)
      expect(categories[category]!.leaked, category).toBe(0)
    }

    expect(leakage.rule).toBe(0)
    for (const category of ['name', 'location', 'organization'] as const) expect(categories[category]?.detector).toBe('model')
    // Only the cued names (Patient: X, Dr. X) are the rules'; organisations need the model.
    expect(categories.organization!.strict.recall).toBe(0)
    expect(leakage.model).toBeGreaterThan(0)
    const table = formatBenchTable([record])
    expect(table).toMatch(/deid mrn \(rule\)\s*\| R 1\.000/)
    expect(table).toMatch(/deid leakage\s*\| rule categories 0, model categories \d+/)
  })

  it('scores a failed document as found nothing, and leaks by position', () => {
    const documents = [{text: 'MRN 1234567 seen', gold: [{start: 4, end: 11, label: 'mrn'}]}]
    expect(scoreDeid(documents, [undefined])).toMatchObject({failedDocuments: 1, leakage: {rule: 1, model: 0}, modelSpans: 0})
    const partial = scoreDeid(documents, [[{category: 'mrn', start: 4, end: 9, source: 'rule'}]])
    expect(partial.categories.mrn).toMatchObject({leaked: 1, overlap: {tp: 1}, strict: {tp: 0}})
    const split = scoreDeid(documents, [[{category: 'mrn', start: 4, end: 8, source: 'rule'}, {category: 'id', start: 8, end: 11, source: 'model'}]])
    expect(split.categories.mrn!.leaked).toBe(0)
    expect(split.modelSpans).toBe(1)
  })

  it('reads the dialogue column of the clinical CSVs in a data dir (data/ or data/bench)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jsl-med-deid-data-'))
    await mkdir(join(dir, 'clinical'))
    await mkdir(join(dir, 'bench'))
    await writeFile(join(dir, 'clinical/mts_dialog_valid.csv'), `ID,section_header,section_text,dialogue\n0,GENHX,x,"${TEXTS[0]}"\n1,GENHX,y,"Doctor: Hi.\nPatient: Hello, ""doc""."\n`)
    expect(await loadClinicalTexts(dir)).toEqual({texts: [TEXTS[0], 'Doctor: Hi.\nPatient: Hello, "doc".'], files: [join(dir, 'clinical/mts_dialog_valid.csv')]})
    expect((await loadClinicalTexts(join(dir, 'bench'), 1)).texts).toEqual([TEXTS[0]])
    const corpus = await loadDeidCorpus(dir, {seed: 2})
    expect(corpus.documents).toHaveLength(2)
    await expect(loadClinicalTexts(await mkdtemp(join(tmpdir(), 'jsl-med-deid-none-')))).rejects.toMatchObject({code: 'E_DATASET_MISSING'})
  })
})
