import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {checkJsonSchema, validateJsonValue, type JsonSchema} from '../../../src/lib/engine/index.js'
import {boundSchema, parseConciseSchema, readExtractSchema} from '../../../src/lib/tasks/index.js'

describe('concise schema syntax', () => {
  it("reads llm's comma form: types, descriptions, every field required", () => {
    expect(parseConciseSchema('name, age int, weight float: in kg, alive bool')).toEqual({
      type: 'object',
      properties: {name: {type: 'string'}, age: {type: 'integer'}, weight: {type: 'number', description: 'in kg'}, alive: {type: 'boolean'}},
      required: ['name', 'age', 'weight', 'alive'],
    })
  })

  it('reads one field per line when there are newlines, so descriptions may hold commas', () => {
    expect(parseConciseSchema('name str: the full name, as written\nage int\n')).toEqual({
      type: 'object',
      properties: {name: {type: 'string', description: 'the full name, as written'}, age: {type: 'integer'}},
      required: ['name', 'age'],
    })
  })

  it('reads [field, …] as a list of objects, nested', () => {
    const schema = parseConciseSchema('patient, meds [name, dose: e.g. 500 mg, doses [amount float, unit]], allergies [substance]')
    expect(schema).toEqual({
      type: 'object',
      properties: {
        patient: {type: 'string'},
        meds: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              name: {type: 'string'},
              dose: {type: 'string', description: 'e.g. 500 mg'},
              doses: {type: 'array', items: {type: 'object', properties: {amount: {type: 'number'}, unit: {type: 'string'}}, required: ['amount', 'unit']}},
            },
            required: ['name', 'dose', 'doses'],
          },
        },
        allergies: {type: 'array', items: {type: 'object', properties: {substance: {type: 'string'}}, required: ['substance']}},
      },
      required: ['patient', 'meds', 'allergies'],
    })
    expect(checkJsonSchema(schema)).toEqual([])
  })

  it.each([
    ['name, age integer', /unknown type "integer"/],
    ['meds [name, dose', /not closed/],
    ['name, name', /given twice/],
    ['', /no fields/],
    ['meds []', /no fields/],
    ['na$me', /not a field name/],
    ['name]', /unexpected/],
  ])('refuses %j with a usage error', (spec, message) => {
    let error: unknown
    try {
      parseConciseSchema(spec)
    } catch (caught) {
      error = caught
    }

    expect(error).toMatchObject({exitCode: 2, code: 'E_SCHEMA_SYNTAX'})
    expect((error as Error).message).toMatch(message)
  })
})

describe('readExtractSchema', () => {
  it('reads a JSON Schema file, a concise file, or the value itself', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jsl-med-schema-'))
    const json = {type: 'object', properties: {a: {type: 'string'}}}
    await writeFile(join(dir, 's.json'), JSON.stringify(json))
    await writeFile(join(dir, 's.txt'), 'a, b int\n')
    expect(await readExtractSchema(join(dir, 's.json'))).toEqual(json)
    expect(await readExtractSchema(join(dir, 's.txt'))).toMatchObject({required: ['a', 'b']})
    expect(await readExtractSchema('a, b int')).toMatchObject({required: ['a', 'b']})
    expect(await readExtractSchema(JSON.stringify(json))).toEqual(json)
    expect(await readExtractSchema('dose: mg/kg, route')).toMatchObject({properties: {dose: {type: 'string', description: 'mg/kg'}}})
  })

  it('refuses a missing file, keywords it cannot enforce, and a non-object top level (exit 2)', async () => {
    await expect(readExtractSchema('/nope/schema.json')).rejects.toMatchObject({exitCode: 2, code: 'E_SCHEMA_FILE'})
    await expect(readExtractSchema('{"type":"object","properties":{"a":{"type":"string","pattern":"x"}}}')).rejects.toMatchObject({exitCode: 2, code: 'E_SCHEMA_UNSUPPORTED'})
    await expect(readExtractSchema('{"type":"array","items":{"type":"string"}}')).rejects.toMatchObject({exitCode: 2, code: 'E_SCHEMA_UNSUPPORTED'})
    await expect(readExtractSchema('{"type":')).rejects.toMatchObject({exitCode: 2, code: 'E_SCHEMA_FILE'})
  })
})

describe('boundSchema', () => {
  it('bounds strings and lists that have no bound, keeps given bounds and minimums', () => {
    const schema = {
      type: 'object',
      properties: {a: {type: 'string'}, b: {type: 'string', maxLength: 5}, c: {type: 'array', minItems: 30, items: {type: 'string', minLength: 300}}},
      $defs: {d: {type: 'string'}},
    } as unknown as JsonSchema
    expect(boundSchema(schema, {maxStringLength: 10, maxItems: 4})).toEqual({
      type: 'object',
      properties: {a: {type: 'string', maxLength: 10}, b: {type: 'string', maxLength: 5}, c: {type: 'array', minItems: 30, maxItems: 30, items: {type: 'string', minLength: 300, maxLength: 300}}},
      $defs: {d: {type: 'string', maxLength: 10}},
    })
    // Narrower, never wider: what the bounded schema accepts, the original accepts.
    expect(validateJsonValue({a: 'x'.repeat(10), b: 'y', c: []}, boundSchema(schema, {maxStringLength: 10, maxItems: 4}))).toEqual(['$.c has fewer than 30 items'])
  })
})
