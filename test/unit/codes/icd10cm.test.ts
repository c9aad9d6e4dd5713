import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'

import {beforeAll, describe, expect, it} from 'vitest'

import {
  checkIcd10cmCode,
  formatIcd10cmCode,
  loadIcd10cmTable,
  normalizeIcd10cmCode,
  parseIcd10cmTable,
  type CodeTable,
} from '../../../src/lib/codes/index.js'
import {root} from '../../helpers/spawn-cli.js'

const fixture = join(root, 'test/fixtures/codes/icd10cm-order-sample.txt')

describe('ICD-10-CM codes', () => {
  it('normalizes codes written with or without a dot, in any case', () => {
    expect(normalizeIcd10cmCode('E11.9')).toBe('E119')
    expect(normalizeIcd10cmCode('e119')).toBe('E119')
    expect(normalizeIcd10cmCode(' S72.001A ')).toBe('S72001A')
    expect(normalizeIcd10cmCode('I10')).toBe('I10')
    expect(formatIcd10cmCode('E119')).toBe('E11.9')
    expect(formatIcd10cmCode('I10')).toBe('I10')
  })

  it('rejects malformed codes', () => {
    for (const bad of ['', 'E1', 'E1.19', 'E11.', 'E11..9', '11E.9', 'E11.9.1', 'E11.90000', 'E11-9', 'diabetes']) {
      expect(normalizeIcd10cmCode(bad), bad).toBeUndefined()
    }
  })
})

describe('ICD-10-CM order file', () => {
  let table: CodeTable
  beforeAll(async () => {
    table = await loadIcd10cmTable(fixture)
  })

  it('reads the fixed-width columns: code without dot, header flag, long description', () => {
    expect(table.size).toBe(13)
    expect(table.get('E11.9')).toEqual({code: 'E11.9', billable: true, description: 'Type 2 diabetes mellitus without complications'})
    expect(table.get('E11')).toMatchObject({code: 'E11', billable: false})
    expect(table.get('s72001a')).toMatchObject({code: 'S72.001A', description: 'Fracture of unspecified part of neck of right femur, initial encounter for closed fracture'})
    expect(table.hasCategory('R07')).toBe(true)
    expect(table.hasCategory('Z99')).toBe(false)
  })

  it('accepts codes written with dots, wider columns, CRLF, a BOM, blank lines, and the CMS codes-file format', () => {
    const text = '\uFEFF00001 E11.9    1 Short                                                        Long description\r\n\r\nI10     Essential (primary) hypertension\n'
    const parsed = parseIcd10cmTable(text)
    expect(parsed.get('E119')).toEqual({code: 'E11.9', billable: true, description: 'Long description'})
    expect(parsed.get('I10')).toEqual({code: 'I10', billable: true, description: 'Essential (primary) hypertension'})
  })

  it('names the line of a malformed table, and refuses an empty one', async () => {
    expect(() => parseIcd10cmTable('00001 E119    1 ok\nnot a code line\n')).toThrow(expect.objectContaining({code: 'E_CODES_FORMAT', exitCode: 8, message: expect.stringContaining('line 2')}))
    expect(() => parseIcd10cmTable('\n\n')).toThrow(expect.objectContaining({code: 'E_CODES_FORMAT'}))
    const dir = await mkdtemp(join(tmpdir(), 'jsl-med-codes-'))
    await writeFile(join(dir, 'empty.txt'), '')
    await expect(loadIcd10cmTable(join(dir, 'empty.txt'))).rejects.toMatchObject({code: 'E_CODES_FORMAT'})
    await expect(loadIcd10cmTable(join(dir, 'missing.txt'))).rejects.toMatchObject({code: 'E_CODES_FILE', exitCode: 8})
  })

  it('reads a gzipped table as it is, and names a zip archive or a broken gzip file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jsl-med-codes-'))
    await writeFile(join(dir, 'order.txt.gz'), gzipSync(await readFile(fixture)))
    expect((await loadIcd10cmTable(join(dir, 'order.txt.gz'))).get('E11.9')).toMatchObject({billable: true})
    await writeFile(join(dir, 'order.zip'), Buffer.from('PK\u0003\u0004rest of a zip', 'latin1'))
    await expect(loadIcd10cmTable(join(dir, 'order.zip'))).rejects.toMatchObject({code: 'E_CODES_FORMAT', message: expect.stringMatching(/zip archive/), hint: expect.stringMatching(/Unzip/)})
    await writeFile(join(dir, 'broken.gz'), gzipSync('x').subarray(0, 8))
    await expect(loadIcd10cmTable(join(dir, 'broken.gz'))).rejects.toMatchObject({code: 'E_CODES_FORMAT', hint: expect.stringMatching(/gunzip -t/)})
  })
})

describe('code checker', () => {
  let table: CodeTable
  beforeAll(async () => {
    table = await loadIcd10cmTable(fixture)
  })

  it('links a code in the table, with or without its dot, in any case', () => {
    for (const proposed of ['E11.9', 'E119', 'e11.9', ' e119 ']) {
      expect(checkIcd10cmCode(proposed, table)).toEqual({
        system: 'icd10cm',
        value: 'E11.9',
        status: 'linked',
        description: 'Type 2 diabetes mellitus without complications',
        billable: true,
      })
    }

    expect(checkIcd10cmCode('I50', table)).toMatchObject({value: 'I50', status: 'linked', billable: false})
  })

  it('never links a code the table lacks: unverified when its category is known, else rejected', () => {
    expect(checkIcd10cmCode('E11.99', table)).toEqual({system: 'icd10cm', value: 'E11.99', status: 'unverified'})
    expect(checkIcd10cmCode('I509X', table)).toEqual({system: 'icd10cm', value: 'I50.9X', status: 'unverified'})
    expect(checkIcd10cmCode('Q99.9', table)).toEqual({system: 'icd10cm', value: 'Q99.9', status: 'rejected'})
    expect(checkIcd10cmCode('E1.19', table)).toEqual({system: 'icd10cm', value: 'E1.19', status: 'rejected'})
    expect(checkIcd10cmCode('xyz', table)).toEqual({system: 'icd10cm', value: 'XYZ', status: 'rejected'})
  })

  it('without a table, only checks the form: nothing is linked', () => {
    expect(checkIcd10cmCode('E11.9')).toEqual({system: 'icd10cm', value: 'E11.9', status: 'unverified'})
    expect(checkIcd10cmCode('E11.9.9')).toMatchObject({status: 'rejected'})
  })

  it('treats an empty proposal as no code', () => {
    expect(checkIcd10cmCode('', table)).toBeUndefined()
    expect(checkIcd10cmCode('  ', table)).toBeUndefined()
  })
})
