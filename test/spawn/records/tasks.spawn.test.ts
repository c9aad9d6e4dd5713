import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, inject, it} from 'vitest'

import {root, runCli, runProcess} from '../../helpers/spawn-cli.js'

const model = inject('tinyModelPath')
const common = ['--model', model, '--threads', '1', '--gpu', 'off', '--max-tokens', '16']
const codes = join(root, 'test/fixtures/codes/icd10cm-order-sample.txt')
const note = 'Pt denies chest pain. Mother had breast cancer.\nStarted metformin 500 mg for diabetes.\n'
const parse = (stdout: string): Array<Record<string, unknown>> => stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line))

describe('bin/run.js ner and soap (spawned, real llama.cpp)', () => {
  let input: string
  const records = [
    {id: 'a', text: 'Pt denies chest pain. Chest pain on exertion.', mrn: 1},
    {id: 2, text: 'Doctor: Any fever?\nPatient: No fever, but a cough.'},
    {id: 'c', text: ''},
    {id: 'd', text: 'Température 38,5 °C 😀 pain pain'},
  ]

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jsl-med-tasks-spawn-'))
    input = join(dir, 'f.ndjson')
    await writeFile(input, records.map((record) => JSON.stringify(record)).join('\n') + '\n{"id":"e","text": broken\n')
  })

  it('composes: cat f.ndjson | jsl-med ner | jsl-med soap keeps record counts, order and ids', async () => {
    const run = `node bin/run.js ner ${common.join(' ')} -q`
    const soap = `node bin/run.js soap ${common.join(' ')} -q`
    const {code, stdout, stderr} = await runProcess('bash', ['-c', `set -o pipefail; cat '${input}' | ${run} | ${soap}`])
    const out = parse(stdout)
    expect(out).toHaveLength(records.length + 1)
    expect(out.slice(0, records.length).map((record) => record.id)).toEqual(records.map((record) => record.id))
    for (const [i, record] of out.slice(0, records.length).entries()) {
      expect(record).toMatchObject({...records[i], entities: expect.any(Array), dropped: expect.any(Number)})
      const soapNote = record.soap as Record<string, unknown>
      for (const section of ['subjective', 'objective', 'assessment', 'plan']) expect(Array.isArray(soapNote[section])).toBe(true)
      expect(typeof soapNote.review_required).toBe('boolean')
      for (const entity of record.entities as Array<{text: string; start: number; end: number}>) {
        expect(entity.text).toBe(records[i].text.slice(entity.start, entity.end))
      }
    }

    // The malformed line stays an error record in its place through both commands; the pipe exits 9.
    expect(out[records.length]).toMatchObject({line: records.length + 1, error: {code: expect.stringMatching(/^E_/)}})
    expect(code, stderr).toBe(9)
  })

  it('writes NDJSON for a plain-text note in a pipe, a readable entity list with --format text', async () => {
    const piped = await runCli(['ner', ...common], note)
    expect(piped.code, piped.stderr).toBe(0)
    const [record, ...rest] = parse(piped.stdout)
    expect(rest).toEqual([])
    expect(record).toMatchObject({line: 1, text: note, entities: expect.any(Array), dropped: expect.any(Number)})
    const text = await runCli(['ner', ...common, '--format', 'text'], note)
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/^\d+ entit(?:y|ies)/)
  })

  it('checks codes against an order file with --link icd10cm --codes, and keeps stdout clean with --verbose', async () => {
    const {code, stdout, stderr} = await runCli(['ner', ...common, '--link', 'icd10cm', '--codes', codes, '--verbose'], JSON.stringify({id: 1, text: note}) + '\n')
    expect(code, stderr).toBe(0)
    const [record] = parse(stdout)
    expect(record).toMatchObject({id: 1, entities: expect.any(Array)})
    for (const entity of record.entities as Array<{code?: {status: string}}>) if (entity.code) expect(['linked', 'unverified', 'rejected']).toContain(entity.code.status)
    expect(stderr).toContain('llama.cpp')
  })

  it('renders a SOAP note with the four headings for a plain-text note with --format text', async () => {
    const {code, stdout, stderr} = await runCli(['soap', ...common, '--format', 'text'], 'Doctor: Any fever?\nPatient: No fever, but a cough.\n')
    expect(code, stderr).toBe(0)
    expect(stdout).toMatch(/^SUBJECTIVE\n[\s\S]*\n\nOBJECTIVE\n[\s\S]*\n\nASSESSMENT\n[\s\S]*\n\nPLAN\n/)
  })

  it('summarize --style handoff --max-words keeps to the word limit', async () => {
    const {code, stdout, stderr} = await runCli(['summarize', ...common, '--style', 'handoff', '--max-words', '3'], note)
    expect(code, stderr).toBe(0)
    expect(stdout.split(/\s+/).filter(Boolean).length).toBeLessThanOrEqual(3)
  })
})
