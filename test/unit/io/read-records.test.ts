import {Readable} from 'node:stream'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {openRecords, splitLines, type InputRecord} from '../../../src/lib/io/index.js'

async function collect(input: Buffer | string | Array<Buffer | string>, options = {}): Promise<{format: string; records: InputRecord[]}> {
  const chunks = Array.isArray(input) ? input : [input]
  const source = await openRecords(Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))), options)
  const records: InputRecord[] = []
  for await (const record of source.records) records.push(record)
  return {format: source.format, records}
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

  it('reads empty input as one empty document', async () => {
    const {format, records} = await collect([])
    expect(format).toBe('text')
    expect(records).toEqual([{line: 1, value: {text: ''}}])
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
