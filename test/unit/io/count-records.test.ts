import {createReadStream} from 'node:fs'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {countRecords, openRecords, type InputFormat} from '../../../src/lib/io/index.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jsl-med-count-'))
})
afterAll(() => rm(dir, {recursive: true, force: true}))

async function readCount(path: string, format: InputFormat): Promise<number> {
  let records = 0
  for await (const _record of (await openRecords(createReadStream(path), {format})).records) records++
  return records
}

const inputs: Record<string, string> = {
  'NDJSON with a trailing newline': '{"id":1,"text":"a"}\n{"id":2,"text":"b"}\n',
  'NDJSON without one, with blank and CRLF lines': '\n{"id":1}\r\n  \r\n{"id":2}\n\t\n{"id":3}',
  'NDJSON with bad lines': '{"id":1}\nnot json\n[1,2]\n{"id":4',
  'NDJSON after a byte-order mark': '\uFEFF{"id":1}\n{"id":2}\n',
  'a text document': 'Pt is a 67yo M.\n\nPlan: {follow up}\n',
  'a text document after blank lines': '\n\n  Pt is a 67yo M.\nPlan: see {"id":1}\n',
  'an empty file': '',
  'only blanks': ' \n\t\r\n',
}

describe('countRecords', () => {
  it.each(Object.entries(inputs))('counts what openRecords yields: %s', async (name, text) => {
    const path = join(dir, `${name.replaceAll(/\W+/g, '-')}.in`)
    await writeFile(path, text)
    for (const format of ['auto', 'ndjson', 'text'] as const) expect(await countRecords(path, format), format).toBe(await readCount(path, format))
  })

  it('leaves anything but a regular file alone: counting a pipe would consume its records', async () => {
    expect(await countRecords('/dev/null')).toBeUndefined()
  })

  it('throws when the file cannot be read', async () => {
    await expect(countRecords(join(dir, 'missing.ndjson'))).rejects.toThrow(/ENOENT/)
  })
})
