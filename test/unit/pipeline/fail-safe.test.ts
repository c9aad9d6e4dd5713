import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {openAuditLog} from '../../../src/lib/audit/index.js'
import {createEngine} from '../../../src/lib/engine/index.js'
import {openRecords, readResumeState, recordKey} from '../../../src/lib/io/index.js'
import {runTask} from '../../../src/lib/pipeline/index.js'
import {summarizeTask} from '../../../src/lib/tasks/index.js'
import {memoryWriter} from '../../helpers/streams.js'

const echo = await createEngine({kind: 'echo'})
const settings = {maxTokens: 4, temperature: 0}

function nonBlankLines(bytes: Buffer): number[] {
  const numbers: number[] = []
  let line = 0
  for (const piece of bytes.toString('latin1').split('\n')) {
    line++
    const withoutBom = line === 1 ? piece.replace(/^\xef\xbb\xbf/, '') : piece
    if (withoutBom.replace(/[ \t\r]/g, '') !== '') numbers.push(line)
  }

  return numbers
}

/** Lines of every kind a hostile or broken producer emits. */
const hostileLine = fc.oneof(
  fc.record({id: fc.integer(), text: fc.string({unit: 'grapheme'})}).map((r) => JSON.stringify(r)),
  fc.record({id: fc.string(), text: fc.string()}).map((r) => JSON.stringify(r) + '\r'),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.uint8Array({maxLength: 40}).map((bytes) => Buffer.from(bytes).toString('latin1').replaceAll('\n', '')),
  fc.constantFrom('', ' ', '\t', '\uFEFF{"text":"bom"}', '{"text":', '{{{[[[', '{"text":{"nested":[1,{"a":null}]}}', '{"id":null,"text":"x"}', 'null'),
)

describe('the pipeline on hostile input (property)', () => {
  it('writes exactly one valid JSON line per non-blank input line, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileLine, {maxLength: 25}), fc.boolean(), fc.integer({min: 1, max: 4}), async (lines, finalNewline, parallel) => {
        const bytes = Buffer.from(lines.join('\n') + (finalNewline ? '\n' : ''), 'latin1')
        const writer = memoryWriter()
        const source = await openRecords(Readable.from([bytes]), {format: 'ndjson'})
        await runTask({task: summarizeTask, engine: echo, source, writer, settings, parallel}).catch((error: {exitCode?: number}) => {
          expect(error.exitCode).toBe(9)
        })
        const out = writer.lines.map((line) => JSON.parse(line) as {line?: number; id?: unknown; error?: unknown})
        const expected = nonBlankLines(bytes)
        expect(out).toHaveLength(expected.length)
        // Records that carry a line number carry the right one, in order.
        for (const [i, record] of out.entries()) if (record.line !== undefined) expect(record.line).toBe(expected[i])
      }),
      {numRuns: 150},
    )
  })

  it('survives a line over 16 MB, refuses it as too long for the context, and keeps going', async () => {
    const huge = JSON.stringify({id: 'big', text: 'x '.repeat(9_000_000)})
    const writer = memoryWriter()
    const source = await openRecords(Readable.from([Buffer.from(huge + '\n{"id":"next","text":"a b"}\n')]))
    await expect(runTask({task: summarizeTask, engine: echo, source, writer, settings})).rejects.toMatchObject({exitCode: 9})
    expect(writer.records()).toEqual([
      {id: 'big', error: expect.objectContaining({code: 'E_TOO_LONG'})},
      {id: 'next', text: 'a b', summary: 'a b'},
    ])
  })
})

describe('--resume state', () => {
  it('collects ids and line numbers, ignores a torn last line and reports it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jsl-med-resume-'))
    const path = join(dir, 'out.ndjson')
    const whole = '{"id":1,"summary":"a"}\n{"id":"b","error":{"code":"E_X"}}\n{"line":3,"summary":"c"}\n'
    await writeFile(path, whole + '{"id":4,"summ')
    const state = await readResumeState(path)
    expect([...state.done].sort()).toEqual([recordKey({id: 1, line: 0}), recordKey({id: 'b', line: 0}), recordKey({line: 3})].sort())
    expect(state.endsWithPartialLine).toBe(true)
    expect(state.completeBytes).toBe(Buffer.byteLength(whole))
  })

  it('treats a missing file as nothing done', async () => {
    expect(await readResumeState(join(tmpdir(), 'does-not-exist.ndjson'))).toEqual({done: new Set(), endsWithPartialLine: false, completeBytes: 0})
  })

  it('skips done records and writes the rest in order', async () => {
    const writer = memoryWriter()
    const done = new Set([recordKey({id: 2, line: 0}), recordKey({id: 4, line: 0})])
    const source = await openRecords(Readable.from([Buffer.from([1, 2, 3, 4, 5].map((id) => JSON.stringify({id, text: `t${id}`})).join('\n'))]))
    const summary = await runTask({task: summarizeTask, engine: echo, source, writer, settings, skip: (ref) => done.has(recordKey(ref))})
    expect(writer.records().map((r) => r.id)).toEqual([1, 3, 5])
    expect(summary).toMatchObject({records: 3, skipped: 2})
  })
})

describe('--audit log', () => {
  it('has one line per record with hashes, counts and status, and no text', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jsl-med-audit-'))
    const path = join(dir, 'audit.ndjson')
    const secret = 'MARKER-PATIENT-JANE-DOE'
    const audit = await openAuditLog(path, {task: 'summarize', engine: 'echo', parameters: {maxTokens: 4}})
    const source = await openRecords(Readable.from([Buffer.from(`{"id":1,"text":"${secret} has CHF"}\nnot json ${secret}\n`)]))
    await runTask({task: summarizeTask, engine: echo, source, writer: memoryWriter(), settings, onRecordDone: (report) => void audit.write(report)}).catch(() => {})
    await audit.close()
    const text = await readFile(path, 'utf8')
    expect(text).not.toContain(secret)
    const lines = text.trim().split('\n').map((line) => JSON.parse(line))
    expect(lines).toEqual([
      expect.objectContaining({id: 1, line: 1, status: 'ok', task: 'summarize', calls: 1, input_sha256: expect.stringMatching(/^[0-9a-f]{64}$/), prompt_tokens: expect.any(Number)}),
      expect.objectContaining({line: 2, status: 'error', error_code: 'E_BAD_JSON', input_sha256: null}),
    ])
  })
})
