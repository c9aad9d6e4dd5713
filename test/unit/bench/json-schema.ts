// A small JSON Schema (2020-12 subset) validator for the bench result schema: enough keywords to check the
// records strictly (type, const, enum, required, properties, additionalProperties, items, min/max, pattern,
// oneOf, local $ref) without a new dependency.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {root} from '../../helpers/spawn-cli.js'

type Schema = Record<string, unknown>

const typeOf = (value: unknown): string => {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

const matchesType = (value: unknown, type: string): boolean => {
  const actual = typeOf(value)
  return actual === type || (type === 'number' && actual === 'integer')
}

function resolveRef(rootSchema: Schema, ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`only local $ref is supported: ${ref}`)
  let node: unknown = rootSchema
  for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown>)[part.replaceAll('~1', '/').replaceAll('~0', '~')]
  if (!node || typeof node !== 'object') throw new Error(`unresolved $ref ${ref}`)
  return node as Schema
}

/** Validates `value` against `schema` (rooted at `rootSchema` for $ref); returns the errors, empty when valid. */
export function validate(value: unknown, schema: Schema, rootSchema: Schema = schema, path = '$'): string[] {
  if (typeof schema.$ref === 'string') return validate(value, resolveRef(rootSchema, schema.$ref), rootSchema, path)
  const errors: string[] = []
  if (Array.isArray(schema.oneOf)) {
    const passing = schema.oneOf.filter((option) => validate(value, option as Schema, rootSchema, path).length === 0).length
    if (passing !== 1) {
      const details = schema.oneOf.map((option, index) => `#${index}: ${validate(value, option as Schema, rootSchema, path).slice(0, 3).join('; ')}`)
      errors.push(`${path}: matches ${passing} of oneOf (${details.join(' | ')})`)
    }
  }

  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string]
    if (!types.some((type) => matchesType(value, type))) return [...errors, `${path}: expected ${types.join('|')}, got ${typeOf(value)}`]
  }

  if ('const' in schema && JSON.stringify(value) !== JSON.stringify(schema.const)) errors.push(`${path}: expected ${JSON.stringify(schema.const)}`)
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => JSON.stringify(option) === JSON.stringify(value))) errors.push(`${path}: not one of ${JSON.stringify(schema.enum)}`)
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: ${value} < ${schema.minimum}`)
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${path}: ${value} > ${schema.maximum}`)
    if (!Number.isFinite(value)) errors.push(`${path}: not finite`)
  }

  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) errors.push(`${path}: shorter than ${schema.minLength}`)
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) errors.push(`${path}: does not match ${schema.pattern}`)
  }

  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`)
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) errors.push(`${path}: more than ${schema.maxItems} items`)
    if (schema.items) for (const [index, item] of value.entries()) errors.push(...validate(item, schema.items as Schema, rootSchema, `${path}[${index}]`))
  }

  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>
    const properties = (schema.properties ?? {}) as Record<string, Schema>
    for (const key of (schema.required ?? []) as string[]) if (!(key in object)) errors.push(`${path}: missing ${key}`)
    for (const [key, item] of Object.entries(object)) {
      if (properties[key]) errors.push(...validate(item, properties[key], rootSchema, `${path}.${key}`))
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected property ${key}`)
      else if (typeof schema.additionalProperties === 'object') errors.push(...validate(item, schema.additionalProperties as Schema, rootSchema, `${path}.${key}`))
    }
  }

  return errors
}

/** The bench result schema from `schemas/`. */
export const benchResultSchema = JSON.parse(readFileSync(join(root, 'schemas/bench-result.schema.json'), 'utf8')) as Schema

/** Errors of one bench NDJSON record against the schema. */
export function validateBenchRecord(record: unknown): string[] {
  return validate(record, benchResultSchema)
}
