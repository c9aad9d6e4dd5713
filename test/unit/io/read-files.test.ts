import {mkdir, mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {checkInputPath, openInputs, type InputRecord, type OpenInputsOptions} from '../../../src/lib/io/index.js'
import {failure} from '../../helpers/failure.js'

let dir: string
const file = (name: string): string => join(dir, name)

async function read(paths: string[], options: OpenInputsOptions = {}): Promise<{format: string; empty: boolean; records: InputRecord[]}> {
  const source = await openInputs(paths, options)
  const records: InputRecord[] = []
  for await (const record of source.records) records.push(record)
  return {format: source.format, empty: source.empty, records}
}

describe('openInputs', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-read-files-'))
    await writeFile(file('a.txt'), 'Pt has CHF.\nBP 150/90.\n')
    await writeFile(file('b.ndjson'), '{"id":"x","text":"one"}\n\n{"text":"two"}\n')
    await writeFile(file('c.txt'), 'no final newline')
    await writeFile(file('empty.txt'), ' \n')
    await writeFile(file('zero.txt'), '')
    await writeFile(file('array.json'), '[{"id":1,"text":"a"}]\n')
    await writeFile(file('header.csv'), 'id,text\n{"id":1,"text":"a"}\n')
    await mkdir(file('folder'))
  })

  it('reads one file as openRecords reads it: a text file is one document whose id is its path', async () => {
    const text = await read([file('a.txt')])
    expect(text.format).toBe('text')
    expect(text.records).toEqual([{line: 1, value: {id: file('a.txt'), text: 'Pt has CHF.\nBP 150/90.\n'}}])
    const ndjson = await read([file('b.ndjson')], {idField: 'doc', field: 'note'})
    expect(ndjson.format).toBe('ndjson')
    expect(ndjson.records.map((r) => r.value)).toEqual([{id: 'x', text: 'one'}, {text: 'two'}])
    expect((await read([file('c.txt')], {idField: 'doc', field: 'note'})).records[0].value).toEqual({doc: file('c.txt'), note: 'no final newline'})
  })

  it('reads several files in order as NDJSON, one record per text file or NDJSON line, lines counted on as cat would', async () => {
    const notes: string[] = []
    const {format, records} = await read([file('a.txt'), file('b.ndjson'), file('empty.txt'), file('c.txt')], {onEmpty: (name) => notes.push(name)})
    expect(format).toBe('ndjson')
    expect(records.map((r) => [r.line, r.value?.id])).toEqual([
      [1, file('a.txt')],
      [3, 'x'],
      [5, undefined],
      [7, file('c.txt')],
    ])
    expect(notes).toEqual([file('empty.txt')])
  })

  it('turns a file refused as a whole into one error record with its path as id, and goes on', async () => {
    const {records} = await read([file('array.json'), file('header.csv'), file('a.txt')])
    expect(records.map((r) => [r.line, r.id ?? r.value?.id, r.error?.code])).toEqual([
      [1, file('array.json'), 'E_JSON_ARRAY'],
      [2, file('header.csv'), 'E_HEADER_LINE'],
      [4, file('a.txt'), undefined],
    ])
    expect(records[0].error?.message).toContain('one object per line')
  })

  it('says that inputs are empty before reading them', async () => {
    expect(await read([file('zero.txt'), file('zero.txt')])).toEqual({format: 'ndjson', empty: true, records: []})
    expect(await read([file('empty.txt')])).toMatchObject({empty: true, records: []})
  })

  it('refuses a directory as a usage error (exit 2) with a hint, and a missing file as bad input (exit 8), before reading any', async () => {
    const folder = await failure(openInputs([file('a.txt'), file('folder')]))
    expect(folder).toMatchObject({code: 'E_INPUT_IS_DIR', exitCode: 2})
    expect(folder.hint).toContain('/*.txt')
    expect(await failure(checkInputPath(file('folder') + '/'))).toMatchObject({code: 'E_INPUT_IS_DIR'})
    expect(await failure(openInputs([file('missing.txt'), file('a.txt')]))).toMatchObject({code: 'E_INPUT_FILE', exitCode: 8})
  })
})
