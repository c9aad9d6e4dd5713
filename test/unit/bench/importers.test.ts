import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {parseMedMcqa, parseMedQa, parseMmlu, parsePubMedQa, parsePubTator} from '../../../src/lib/bench/index.js'
import {InputError} from '../../../src/lib/errors/index.js'
import {root} from '../../helpers/spawn-cli.js'

const fixtures = join(root, 'test/fixtures/bench')
const read = (file: string): Promise<string> => readFile(join(fixtures, file), 'utf8')

function datasetError(fn: () => unknown): InputError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).code).toBe('E_DATASET')
    expect((error as InputError).exitCode).toBe(8)
    expect((error as InputError).hint).toBeTruthy()
    return error as InputError
  }

  throw new Error('expected an E_DATASET error')
}

describe('parseMedQa (jsonl)', () => {
  it('reads every question of the fixture, skipping blank lines, with 0-based answers', async () => {
    const records = parseMedQa(await read('medqa_us4_test.jsonl'))
    expect(records).toHaveLength(6)
    expect(records.map((r) => r.answerIndex)).toEqual([2, 1, 0, 3, 1, 2])
    expect(records[0].options).toEqual(['Left anterior descending artery', 'Left circumflex artery', 'Right coronary artery', 'Left main coronary artery'])
    expect(records[5].line).toBe(7)
    expect(records[4].question).toContain('"hold and give vitamin K"')
  })

  it('names the file and line of a bad record', () => {
    const good = JSON.stringify({question: 'q', options: {A: 'a', B: 'b', C: 'c', D: 'd'}, answer_idx: 'A'})
    expect(datasetError(() => parseMedQa(`${good}\n{oops`, 'm.jsonl')).message).toMatch(/^m\.jsonl:2: /)
    expect(datasetError(() => parseMedQa(JSON.stringify({question: 'q', options: {A: 'a', B: 'b', C: 'c'}, answer_idx: 'A'}))).message).toMatch(/A, B, C and D/)
    expect(datasetError(() => parseMedQa(JSON.stringify({question: 'q', options: {A: 'a', B: 'b', C: 'c', D: 'd'}, answer_idx: 'E'}))).message).toMatch(/answer_idx/)
    expect(datasetError(() => parseMedQa('[1,2]')).message).toMatch(/not a JSON object/)
  })
})

describe('parseMedMcqa (JSON lines, 1-based cop)', () => {
  it('turns the 1-based cop into a 0-based answer', async () => {
    const records = parseMedMcqa(await read('medmcqa_dev.jsonl'))
    expect(records).toHaveLength(5)
    expect(records.map((r) => r.answerIndex)).toEqual([1, 0, 3, 2, 0])
    expect(records[0]).toMatchObject({id: 'fixture-0001', subject: 'Anatomy', options: ['Radial nerve', 'Axillary nerve', 'Ulnar nerve', 'Median nerve']})
    expect(records[2].options[0]).toBe('Proteinuria > 3.5 g/day')
    expect(records[4].question).toContain('“appendix”')
  })

  it('refuses a 0-based cop (the Hugging Face copy) instead of shifting every answer', () => {
    const line = JSON.stringify({question: 'q', opa: 'a', opb: 'b', opc: 'c', opd: 'd', cop: 0})
    const error = datasetError(() => parseMedMcqa(line, 'dev.jsonl'))
    expect(error.message).toBe('dev.jsonl:1: "cop" must be 1, 2, 3 or 4')
    expect(error.hint).toMatch(/1-based/)
    expect(() => parseMedMcqa(JSON.stringify({question: 'q', opa: 'a', opb: 'b', opc: 'c', cop: 1}))).toThrow(/opa/)
  })
})

describe('parsePubMedQa (json)', () => {
  it('reads PMID-keyed entries in file order', async () => {
    const records = parsePubMedQa(await read('pubmedqa_test.json'))
    expect(records.map((r) => [r.pmid, r.decision])).toEqual([
      ['90000001', 'yes'],
      ['90000002', 'no'],
      ['90000003', 'maybe'],
      ['90000004', 'yes'],
    ])
    expect(records[0].contexts).toHaveLength(2)
  })

  it('rejects invalid JSON, arrays and unknown decisions', () => {
    expect(datasetError(() => parsePubMedQa('{', 'p.json')).message).toBe('p.json: not valid JSON')
    expect(datasetError(() => parsePubMedQa('[]')).message).toMatch(/object keyed by PMID/)
    expect(datasetError(() => parsePubMedQa(JSON.stringify({1: {QUESTION: 'q', CONTEXTS: ['c'], final_decision: 'perhaps'}}))).message).toMatch(/PMID 1: .*final_decision/)
  })
})

describe('parseMmlu (headerless csv)', () => {
  it('reads quoted questions with commas, doubled quotes and line breaks', async () => {
    const anatomy = parseMmlu(await read('mmlu/anatomy_test.csv'))
    expect(anatomy).toHaveLength(3)
    expect(anatomy[1].question).toBe('The "funny bone" sensation comes from striking which nerve?')
    expect(anatomy.map((r) => r.answerIndex)).toEqual([1, 2, 0])
    const genetics = parseMmlu(await read('mmlu/medical_genetics_test.csv'))
    expect(genetics[1].question).toBe('Down syndrome is most often caused by:\n(choose the commonest mechanism)')
    expect(genetics[1].line).toBe(2)
  })

  it('rejects rows without six fields or with an answer outside A–D', () => {
    expect(datasetError(() => parseMmlu('q,a,b,c,d\n', 'x.csv')).message).toBe('x.csv:1: expected 6 fields, found 5')
    expect(datasetError(() => parseMmlu('q,a,b,c,d,E\n')).message).toMatch(/A–D/)
    expect(datasetError(() => parseMmlu('"q,a,b,c,d,A\n')).message).toMatch(/unterminated/)
  })
})

describe('parsePubTator', () => {
  it('reads documents, joins title and abstract with a space, checks offsets and skips relations', async () => {
    const documents = parsePubTator(await read('ner/bc5cdr_test.pubtator.txt'))
    expect(documents).toHaveLength(3)
    expect(documents.map((d) => d.mentions.length)).toEqual([8, 6, 7])
    const [first] = documents
    expect(first.text).toBe(`${first.title} ${first.abstract}`)
    for (const document of documents) for (const m of document.mentions) expect(document.text.slice(m.start, m.end)).toBe(m.text)
    expect(first.mentions[0]).toEqual({start: 0, end: 7, text: 'Lithium', type: 'Chemical', ids: ['D008094']})
    const ncbi = parsePubTator(await read('ner/ncbi_disease_test.pubtator.txt'))
    expect(ncbi.flatMap((d) => d.mentions.map((m) => m.type))).toContain('CompositeMention')
    expect(ncbi[1].mentions[0].ids).toEqual(['D001943', 'D010051'])
  })

  it('fails on shifted offsets, orphan lines and short annotation lines, with the line', () => {
    const head = '1|t|Aspirin use.\n1|a|It helps.\n'
    expect(datasetError(() => parsePubTator(`${head}1\t0\t999\tAspirin\tChemical\tD001241\n`, 'c.txt')).message).toBe('c.txt:3: mention offsets out of range')
    expect(datasetError(() => parsePubTator(`${head}1\t1\t8\tAspirin\tChemical\tD001241\n`)).message).toMatch(/does not match the text/)
    expect(datasetError(() => parsePubTator(`${head}2\t0\t7\tAspirin\tChemical\tD001241\n`)).message).toMatch(/outside its document/)
    expect(datasetError(() => parsePubTator(`${head}1\t0\t7\n`)).message).toMatch(/at least 5/)
    expect(datasetError(() => parsePubTator('1|a|abstract first\n')).message).toMatch(/without its title/)
    expect(parsePubTator(`${head}1\t0\t7\tAspirin\tChemical\t-\n`)[0].mentions[0].ids).toEqual([])
  })
})
