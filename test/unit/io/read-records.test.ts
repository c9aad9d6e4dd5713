import {Readable} from 'node:stream'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {InputError} from '../../../src/lib/errors/index.js'
import {openRecords, splitLines, type InputRecord, type OpenRecordsOptions} from '../../../src/lib/io/index.js'

async function collect(input: Buffer | string | Array<Buffer | string>, options: OpenRecordsOptions = {}): Promise<{format: string; empty: boolean; records: InputRecord[]}> {
  const chunks = Array.isArray(input) ? input : [input]
  const source = await openRecords(Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))), options)
  const records: InputRecord[] = []
  for await (const record of source.records) records.push(record)
  return {format: source.format, empty: source.empty, records}
}

/** The error openRecords throws for an input refused as a whole. */
async function refusal(input: string | string[], options: OpenRecordsOptions = {}): Promise<InputError> {
  const error = await collect(input, options).then(
    () => undefined,
    (error: unknown) => error,
  )
  expect(error).toBeInstanceOf(InputError)
  return error as InputError
}

describe('openRecords', () => {
  it('reads NDJSON objects with their line numbers, skipping blank lines', async () => {
    const {format, records} = await collect('{"id":1,"text":"a"}\n\n  \n{"id":2,"text":"b"}\n')
    expect(format).toBe('ndjson')
    expect(records.map((r) => [r.line, r.value?.id])).toEqual([
      [1, 1],
      [4, 2],
    ])
  })

  it('treats input that does not start with { as one text document, kept verbatim', async () => {
    const note = 'Pt is a 67yo M with CHF.\r\nBP 150/90.\n\n{not json}\n'
    const {format, records} = await collect(note)
    expect(format).toBe('text')
    expect(records).toEqual([{line: 1, value: {text: note}}])
  })

  it('reads empty or whitespace-only input as no records, and says so before any record is read', async () => {
    for (const input of [[], [''], ['  \n\r\n\t'], ['\uFEFF\n']]) {
      const {empty, records} = await collect(input)
      expect(empty).toBe(true)
      expect(records).toEqual([])
    }

    for (const format of ['text', 'ndjson'] as const) expect((await collect(' \n', {format})).records).toEqual([])
    expect((await collect('x')).empty).toBe(false)
  })

  it('refuses a JSON array with a hint to put one object per line (jq -c), however it is laid out or chunked', async () => {
    for (const input of [['[{"id":1,"text":"a"}]'], ['[\n  {\n    "id": 1\n  }\n]\n'], ['  [', '', ' [1]]'], ['[]']]) {
      const error = await refusal(input)
      expect(error.code).toBe('E_JSON_ARRAY')
      expect(error.exitCode).toBe(8)
      expect(error.message).toContain('one object per line')
      expect(error.hint).toContain("jq -c '.[]'")
    }

    // Prose that starts with a bracket is a note, and an explicit format is obeyed.
    expect((await collect('[Discharge summary]\nPt is stable.\n')).format).toBe('text')
    expect((await collect('[{"a":1}]', {format: 'text'})).records).toEqual([{line: 1, value: {text: '[{"a":1}]'}}])
  })

  it('refuses a header line before NDJSON, never quoting it, and reads it as asked with an explicit format', async () => {
    const input = 'PATIENT-HEADER-SECRET\n{"id":1,"text":"a"}\n{"id":2,"text":"b"}\n'
    const error = await refusal([input.slice(0, 25), input.slice(25)])
    expect(error.code).toBe('E_HEADER_LINE')
    expect(error.hint).toMatch(/--input-format ndjson/)
    expect(JSON.stringify(error.toJSON())).not.toContain('SECRET')
    const asNdjson = await collect(input, {format: 'ndjson'})
    expect(asNdjson.records.map((r) => r.error?.code ?? r.value?.id)).toEqual(['E_BAD_JSON', 1, 2])
    expect((await collect(input, {format: 'text'})).records).toHaveLength(1)
    // A note whose second line merely starts with { is still a note.
    expect((await collect('Vitals:\n{BP 120/80}\n')).format).toBe('text')
  })

  it('hints one object per line (jq -c) for pretty-printed JSON', async () => {
    const {records} = await collect('{\n  "id": 1,\n  "text": "a"\n}\n')
    expect(records.map((r) => r.error?.code)).toEqual(['E_BAD_JSON', 'E_BAD_JSON', 'E_BAD_JSON', 'E_BAD_JSON'])
    for (const record of records) expect(record.error?.hint).toMatch(/one object per line.*jq -c/)
  })

  it('puts a text document in the given field with the given extra fields, and numbers lines after an offset', async () => {
    const {records} = await collect('a note\n', {field: 'note', documentFields: {id: 'a.txt'}, lineOffset: 4})
    expect(records).toEqual([{line: 5, value: {id: 'a.txt', note: 'a note\n'}}])
    const ndjson = await collect('{"id":1}\nbroken\n', {lineOffset: 10, name: 'b.ndjson'})
    expect(ndjson.records.map((r) => r.line)).toEqual([11, 12])
    expect(ndjson.records[1].error?.message).toMatch(/^line 12 \(b\.ndjson line 2\) /)
  })

  it('honours an explicit format', async () => {
    expect((await collect('{"a":1}\n', {format: 'text'})).records[0].value).toEqual({text: '{"a":1}\n'})
    const {records} = await collect('hello\n', {format: 'ndjson'})
    expect(records[0].error?.code).toBe('E_BAD_JSON')
  })

  it('handles CRLF, a BOM, a missing final newline and lines split across chunks', async () => {
    const {records} = await collect(['\uFEFF{"id":1,', '"text":"a"}\r\n{"id"', ':2,"text":"b\\r"}'])
    expect(records.map((r) => r.value)).toEqual([
      {id: 1, text: 'a'},
      {id: 2, text: 'b\r'},
    ])
  })

  it('turns bad lines into error records that never quote the line', async () => {
    const secret = 'PATIENT-NAME-SECRET'
    const {records} = await collect(`{"text":"${secret}"\n[1,2]\n"${secret}"\n{"ok":true}\n`)
    expect(records.map((r) => r.error?.code ?? 'ok')).toEqual(['E_BAD_JSON', 'E_NOT_OBJECT', 'E_NOT_OBJECT', 'ok'])
    for (const record of records) {
      expect(JSON.stringify(record.error?.toJSON() ?? {})).not.toContain(secret)
    }
  })

  it('reports invalid UTF-8 per line', async () => {
    const {records} = await collect([Buffer.from('{"text":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n{"text":"ok"}\n')])
    expect(records.map((r) => r.error?.code ?? 'ok')).toEqual(['E_BAD_ENCODING', 'ok'])
  })

  it('reports lines over the size limit without buffering them, and goes on', async () => {
    const long = '{"text":"' + 'x'.repeat(5000) + '"}'
    const {records} = await collect([long.slice(0, 2000), long.slice(2000) + '\n{"id":2}\n'], {maxLineBytes: 1000})
    expect(records.map((r) => [r.line, r.error?.code ?? r.value?.id])).toEqual([
      [1, 'E_LINE_TOO_LONG'],
      [2, 2],
    ])
  })

  it('yields one record per non-blank line, in order, whatever the bytes and chunking (property)', async () => {
    const line = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string({unit: 'binary'}).map((s) => s.replaceAll('\n', ' ')),
      fc.constantFrom('', '   ', '{', '{"text":"x"}'),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(line, {maxLength: 30}), fc.integer({min: 1, max: 17}), fc.boolean(), async (lines, chunkSize, finalNewline) => {
        const text = lines.join('\n') + (finalNewline ? '\n' : '')
        const bytes = Buffer.from(text)
        const chunks = Array.from({length: Math.ceil(bytes.length / chunkSize)}, (_, i) => bytes.subarray(i * chunkSize, (i + 1) * chunkSize))
        const {records} = await collect(chunks, {format: 'ndjson'})
        // Blank means JSON whitespace only (space, tab, CR): a line of \v or NBSP is an invalid record, not a skipped one.
        const expected = lines.map((l, i) => [l, i + 1] as const).filter(([l]) => !/^[ \t\r]*$/.test(l))
        expect(records.map((r) => r.line)).toEqual(expected.map(([, n]) => n))
        for (const record of records) expect(Boolean(record.value) !== Boolean(record.error)).toBe(true)
      }),
      {numRuns: 200},
    )
  })
})

describe('splitLines', () => {
  it('splits on \\n only, drops a trailing \\r and keeps lone \\r as data', async () => {
    const lines: string[] = []
    for await (const line of splitLines(Readable.from([Buffer.from('a\rb\r\nc\n\nd')]), 100)) lines.push(line === 'overflow' ? line : line.toString())
    expect(lines).toEqual(['a\rb', 'c', '', 'd'])
  })
})
