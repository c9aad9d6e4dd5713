import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {root} from '../../helpers/spawn-cli.js'

/** The JSON Schema subset schemas/*.json use. */
export interface Schema {
  $ref?: string
  $defs?: Record<string, Schema>
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  properties?: Record<string, Schema>
  required?: string[]
  additionalProperties?: boolean | Schema
  items?: Schema
  minItems?: number
  minimum?: number
  oneOf?: Schema[]
}

/** Reads a schema checked into schemas/. */
export async function loadSchema(name: string): Promise<Schema> {
  return JSON.parse(await readFile(join(root, 'schemas', name), 'utf8')) as Schema
}

/**
 * Validates a value against a JSON Schema (draft 2020-12, the keywords listed in {@link Schema}; unknown keywords
 * are an error so that the schema cannot silently use more than this checks). Returns the errors, empty when valid.
 */
export function validate(schema: Schema, value: unknown, rootSchema: Schema = schema, path = '$'): string[] {
  const known = new Set(['$schema', '$id', 'title', 'description', '$ref', '$defs', 'type', 'enum', 'const', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'minimum', 'oneOf'])
  const unknown = Object.keys(schema).filter((key) => !known.has(key))
  if (unknown.length > 0) return [`${path}: schema uses unsupported keywords ${unknown.join(', ')}`]
  if (schema.$ref) {
    const name = /^#\/\$defs\/(.+)$/.exec(schema.$ref)?.[1]
    const target = name ? rootSchema.$defs?.[name] : undefined
    return target ? validate(target, value, rootSchema, path) : [`${path}: unresolvable $ref ${schema.$ref}`]
  }

  if (schema.oneOf) {
    const matches = schema.oneOf.map((option) => validate(option, value, rootSchema, path))
    const passing = matches.filter((errors) => errors.length === 0).length
    if (passing === 1) return []
    return passing === 0 ? [`${path}: matches none of oneOf (${JSON.stringify(value).slice(0, 120)})`] : [`${path}: matches ${passing} of oneOf`]
  }

  const errors: string[] = []
  if (schema.const !== undefined && value !== schema.const) errors.push(`${path}: expected ${JSON.stringify(schema.const)}`)
  if (schema.enum && !schema.enum.includes(value as never)) errors.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`)
  if (schema.type) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type]
    if (!types.some((type) => hasType(value, type))) return [...errors, `${path}: expected ${types.join('|')}, got ${JSON.stringify(value)?.slice(0, 60)}`]
  }

  if (typeof value === 'number' && schema.minimum !== undefined && value < schema.minimum) errors.push(`${path}: ${value} < ${schema.minimum}`)
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`)
    if (schema.items) value.forEach((item, index) => errors.push(...validate(schema.items!, item, rootSchema, `${path}[${index}]`)))
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>
    for (const key of schema.required ?? []) if (!(key in record)) errors.push(`${path}: missing ${key}`)
    for (const [key, item] of Object.entries(record)) {
      const property = schema.properties?.[key]
      if (property) errors.push(...validate(property, item, rootSchema, `${path}.${key}`))
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected property ${key}`)
      else if (typeof schema.additionalProperties === 'object') errors.push(...validate(schema.additionalProperties, item, rootSchema, `${path}.${key}`))
    }
  }

  return errors
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null
    case 'array':
      return Array.isArray(value)
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value)
    case 'integer':
      return Number.isInteger(value)
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
    default:
      return typeof value === type
  }
}
