import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {checkJsonSchema, jsonSchemaToGbnf, validateJsonValue, type JsonSchema} from '../../../src/lib/engine/index.js'
import {labelsSchema} from '../../../src/lib/tasks/index.js'

const finding = {
  type: 'object',
  properties: {
    effusion: {type: 'boolean'},
    side: {enum: ['left', 'right', 'both', 'none']},
    size: {oneOf: [{type: 'null'}, {type: 'integer'}]},
    note: {type: 'string', maxLength: 20},
    sites: {type: 'array', items: {enum: ['apex', 'base']}, maxItems: 2},
  },
  required: ['effusion'],
} as unknown as JsonSchema

describe('checkJsonSchema', () => {
  it('accepts the supported subset, $defs included', () => {
    expect(checkJsonSchema(finding)).toEqual([])
    expect(checkJsonSchema(labelsSchema(['test', 'value']))).toEqual([])
    expect(checkJsonSchema({$defs: {side: {enum: ['l', 'r']}}, type: 'object', properties: {a: {$ref: '#/$defs/side'}}})).toEqual([])
  })

  it('refuses what a grammar cannot enforce, naming pointers and keywords', () => {
    const problems = checkJsonSchema({
      type: 'object',
      properties: {id: {type: 'string', pattern: '^[0-9]+$'}, age: {type: 'integer', minimum: 0}, when: {type: 'string', format: 'date'}, any: {}},
      required: ['missing'],
    })
    expect(problems).toEqual(
      expect.arrayContaining([
        '/properties/id: keyword "pattern" is not supported',
        '/properties/age: keyword "minimum" is not supported',
        '/properties/when: keyword "format" is not supported',
        '/properties/any: give a type (any-value schemas cannot be enforced)',
        '/: required property "missing" is not in properties',
      ]),
    )
    expect(checkJsonSchema({type: 'object', properties: {a: {$ref: '#/$defs/nope'}}})).toEqual(['/properties/a: $ref "#/$defs/nope" cannot be resolved'])
    expect(checkJsonSchema([1, 2])).toEqual(['/: a schema must be an object'])
  })
})

describe('validateJsonValue', () => {
  it('accepts valid values and names every violation by path, never by value', () => {
    expect(validateJsonValue({effusion: true, side: 'left', size: null, note: 'small', sites: ['apex']}, finding)).toEqual([])
    const errors = validateJsonValue({effusion: 'SECRET', side: 'SECRET', size: 1.5, note: 'x'.repeat(21), sites: ['apex', 'base', 'apex'], extra: 'SECRET'}, finding)
    expect(errors).toEqual([
      '$.effusion is not of type boolean',
      '$.side is not one of the enum values',
      '$.size matches none or several of oneOf',
      '$.note is longer than 20 characters',
      '$.sites has more than 2 items',
      '$.extra is not an allowed property',
    ])
    expect(errors.join(' ')).not.toContain('SECRET')
  })

  it('counts string length in code points, as JSON Schema does', () => {
    expect(validateJsonValue('😀😀', {type: 'string', maxLength: 2} as JsonSchema)).toEqual([])
  })
})

describe('jsonSchemaToGbnf', () => {
  it('compiles compact JSON with every property in order and no free whitespace', () => {
    const grammar = jsonSchemaToGbnf(finding)
    expect(grammar).toMatch(/^root ::= \("\{" "\\"effusion\\":" r\d+ ",\\"side\\":" r\d+ ",\\"size\\":" r\d+ ",\\"note\\":" r\d+ ",\\"sites\\":" r\d+ "\}"\)$/m)
    expect(grammar).toContain('"\\"" char{0,20} "\\""')
    expect(grammar).toMatch(/"\[" \(r\d+ \(",\" r\d+\)\{0,1\}\)\? "\]"/)
    expect(grammar).not.toMatch(/\[ \\t\\n]|ws ::=|space ::=/)
  })

  it('escapes enum literals and compiles every rule it references', () => {
    fc.assert(
      fc.property(fc.array(fc.string({maxLength: 8, unit: 'binary'}), {minLength: 1, maxLength: 5}), (options) => {
        const grammar = jsonSchemaToGbnf({enum: options} as JsonSchema)
        for (const option of options) expect(grammar).toContain(JSON.stringify(JSON.stringify(option)))
        const defined = new Set([...grammar.matchAll(/^(\w+) ::=/gm)].map((m) => m[1]))
        const referenced = [...grammar.replaceAll(/"(?:[^"\\]|\\.)*"|\[(?:[^\]\\]|\\.)*\]/g, '').matchAll(/\b([a-z]\w*)\b/g)].map((m) => m[1])
        for (const name of referenced) expect(defined.has(name), name).toBe(true)
      }),
      {numRuns: 500},
    )
  })
})
