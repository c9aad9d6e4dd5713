import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {runCli} from '../../helpers/spawn-cli.js'

const model = inject('tinyModelPath')
const embedModel = inject('tinyEmbedModelPath')
const runtime = ['--threads', '1', '--gpu', 'off']
const parse = (stdout: string): Array<Record<string, unknown>> => stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line))

describe('bin/run.js index and ask (spawned, real llama.cpp)', () => {
  let dir: string
  let index: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-rag-spawn-'))
    index = join(dir, 'index')
    await writeFile(join(dir, 'a.md'), '# Anticoagulation\n\nWarfarin dosing is guided by the INR.\n\nAmiodarone raises the INR.\n')
    await writeFile(join(dir, 'b.ndjson'), '{"id":"r1","text":"Metformin is first-line for type 2 diabetes."}\n{"id":"r2","text":"Zanubrutinib treats mantle cell lymphoma."}\n')
  })

  afterAll(() => rm(dir, {recursive: true, force: true}))

  it('index add, search, ls and rm write results on stdout only, and JSON with --json', async () => {
    const add = await runCli(['index', 'add', dir, '--index', index, '--embed-model', embedModel, ...runtime, '--json'])
    expect(add.code, add.stderr).toBe(0)
    expect(JSON.parse(add.stdout)).toMatchObject({documents: 3, added: 3, unchanged: 0, totalChunks: expect.any(Number)})
    expect(add.stderr).not.toMatch(/WARN lance/)
    const again = await runCli(['index', 'add', dir, '--index', index, ...runtime])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/^3 documents: 0 added, 0 updated, 3 unchanged/)
    const search = await runCli(['index', 'search', 'zanubrutinib lymphoma', '--index', index, ...runtime, '--json', '-k', '2'])
    expect(search.code, search.stderr).toBe(0)
    const {hits} = JSON.parse(search.stdout) as {hits: Array<Record<string, unknown>>}
    expect(hits[0]).toMatchObject({doc: 'r2', chunk: 0, start: 0, bm25: {rank: 1}})
    const ls = await runCli(['index', 'ls', '--index', index])
    expect(ls.stdout.split('\n').filter(Boolean)).toHaveLength(5) // the summary, the header and 3 documents
    const rm = await runCli(['index', 'rm', 'r1', 'missing', '--index', index])
    expect(rm.code).toBe(8)
    expect(rm.stdout).toBe('removed r1\n')
    const none = await runCli(['index', 'ls', '--index', join(dir, 'nowhere')])
    expect(none.code).toBe(8)
    expect(none.stderr).toMatch(/E_NO_INDEX/)
  })

  it('ask on NDJSON keeps the record contract, and every citation is in its chunk at its offsets', async () => {
    const records = [
      {id: 'q1', question: 'How is warfarin dosing guided?', mrn: 7},
      {id: 2, question: 'What treats mantle cell lymphoma?'},
      {id: 'q3', question: 'xylophone quartz'},
      {id: 'q4', text: 'no question field'},
    ]
    const input = records.map((r) => JSON.stringify(r)).join('\n') + '\n{"id":"q5", broken\n'
    const audit = join(dir, 'audit.ndjson')
    const ask = await runCli(['ask', '-m', model, '--index', index, ...runtime, '--max-tokens', '96', '--audit', audit, '-j', '2'], input)
    expect(ask.code, ask.stderr).toBe(9)
    const out = parse(ask.stdout)
    expect(out).toHaveLength(records.length + 1)
    expect(out.slice(0, 4).map((r) => r.id)).toEqual(records.map((r) => r.id))
    for (const [i, record] of out.slice(0, 3).entries()) {
      expect(record).toMatchObject({...records[i], answer: expect.any(String), citations: expect.any(Array), abstained: expect.any(Boolean), citations_dropped: expect.any(Number)})
    }

    expect(out[2]).toMatchObject({abstained: true, abstain_reason: 'no_relevant_evidence', answer: ''})
    expect(out[3]).toMatchObject({id: 'q4', error: {code: 'E_FIELD_MISSING'}})
    expect(JSON.stringify(out[3])).not.toContain('no question field')
    expect(out[4]).toMatchObject({line: 5, error: {code: expect.stringMatching(/^E_/)}})
    const search = await runCli(['index', 'search', 'warfarin', '--index', index, ...runtime, '--json', '-k', '20'])
    const chunks = new Map((JSON.parse(search.stdout).hits as Array<{doc: string; chunk: number; text: string}>).map((h) => [`${h.doc}#${h.chunk}`, h.text]))
    for (const record of out.slice(0, 3)) {
      for (const c of record.citations as Array<{doc: string; chunk: number; start: number; end: number; quote: string}>) {
        expect(c.quote).toBe(chunks.get(`${c.doc}#${c.chunk}`)!.slice(c.start, c.end))
      }
    }

    expect((await readFile(audit, 'utf8')).split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(records.length)
    // --resume skips what is done: only the failed lines run again.
    const output = join(dir, 'answers.ndjson')
    await writeFile(output, ask.stdout)
    const resumed = await runCli(['ask', '-m', model, '--index', index, ...runtime, '--max-tokens', '96', '--resume', output], input)
    expect(parse(resumed.stdout).every((r) => r.error !== undefined)).toBe(true)
  })

  it('answers one question given as the argument, as text with --format text', async () => {
    const ask = await runCli(['ask', '-m', model, ...runtime, '--max-tokens', '32', '--format', 'text', 'What is the INR?'])
    expect(ask.code, ask.stderr).toBe(0)
    expect(ask.stdout.startsWith('{')).toBe(false)
  })
})
