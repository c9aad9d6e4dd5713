import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'

import {checkJsonSchema, type JsonSchema} from '../../engine/index.js'
import {UsageError} from '../../errors/index.js'

type Schema = Record<string, unknown>

/** The type words of the concise syntax, as simonw/llm reads them. */
const CONCISE_TYPES: Record<string, string> = {str: 'string', int: 'integer', float: 'number', bool: 'boolean'}

const NAME = /^[A-Za-z_][\w-]*$/

const HINT =
  'Give a JSON Schema, or the concise syntax: fields separated by commas (or one per line), each "name [type][: description]" ' +
  'with type str (default), int, float or bool, or "name [field, field …]" for a list of objects, e.g. "patient, age int, meds [name, dose]".'

/**
 * Parses the concise schema syntax of simonw/llm's `--schema` into a JSON Schema: fields separated by commas, or by
 * newlines when the text has any (so that descriptions may hold commas); each field is `name [type][: description]`
 * with the types `str` (the default), `int`, `float` and `bool`. Every field is required, as in llm. jsl-med adds one
 * form: `name [field, field …]` is an array of objects with those fields (nested to any depth), e.g.
 * `patient, age int, meds [name, dose]`. An unknown type word is a UsageError (llm would silently take a string).
 */
export function parseConciseSchema(spec: string): JsonSchema {
  let at = 0
  const fail = (problem: string): never => {
    throw new UsageError(`--schema: ${problem} (at character ${at + 1})`, {hint: HINT}, 'E_SCHEMA_SYNTAX')
  }

  // One object's fields, up to `]` (nested) or the end; newlines separate fields wherever they are.
  const parseFields = (nested: boolean): Schema => {
    const lineMode = !nested && spec.trim().includes('\n')
    const properties: Record<string, Schema> = {}
    for (;;) {
      while (at < spec.length && /[\s,]/.test(spec[at]) && !(lineMode && spec[at] === ',')) at++
      if (at >= spec.length || (nested && spec[at] === ']')) break
      const name = /^[^\s,:[\]]+/.exec(spec.slice(at))?.[0] ?? fail('expected a field name')
      if (!NAME.test(name)) fail(`"${name}" is not a field name (letters, digits, _ and -)`)
      if (Object.hasOwn(properties, name)) fail(`field "${name}" is given twice`)
      at += name.length
      while (spec[at] === ' ' || spec[at] === '\t') at++
      let property: Schema
      if (spec[at] === '[') {
        at++
        const items = parseFields(true)
        if (spec[at] !== ']') fail(`"[" after "${name}" is not closed`)
        at++
        property = {type: 'array', items}
      } else {
        const word = /^[A-Za-z]+/.exec(spec.slice(at))?.[0]
        if (word !== undefined && spec[at + word.length] !== undefined && !/[\s,:\]]/.test(spec[at + word.length])) fail(`unexpected character after "${word}"`)
        if (word !== undefined && !Object.hasOwn(CONCISE_TYPES, word)) fail(`unknown type "${word}" for field "${name}"`)
        if (word !== undefined) at += word.length
        property = {type: CONCISE_TYPES[word ?? 'str']}
      }

      while (spec[at] === ' ' || spec[at] === '\t') at++
      if (spec[at] === ':') {
        const end = lineMode ? /\n|$/ : nested ? /[\n,\]]|$/ : /[\n,]|$/
        const rest = spec.slice(at + 1)
        const length = end.exec(rest)!.index
        const description = rest.slice(0, length).trim()
        if (description) property.description = description
        at += 1 + length
      }

      properties[name] = property
      const next = spec[at]
      if (next !== undefined && !/[\s,]/.test(next) && !(nested && next === ']')) fail(`unexpected "${next}"`)
    }

    if (Object.keys(properties).length === 0) fail('no fields')
    return {type: 'object', properties, required: Object.keys(properties)}
  }

  const schema = parseFields(false)
  if (at < spec.length) fail('unexpected "]"')
  return schema as JsonSchema
}

/**
 * Reads `--schema`: a file holding a JSON Schema (text starting with `{`) or the concise syntax (see
 * {@link parseConciseSchema}); a value that names no file is read as the schema itself, as llm does. The schema must
 * be an object schema that can be enforced exactly (see the engine's `checkJsonSchema`). Throws a UsageError naming
 * the problems (JSON pointers and keywords, never values).
 */
export async function readExtractSchema(value: string): Promise<JsonSchema> {
  // A concise schema has spaces, commas or brackets (and its descriptions may hold "/"); a path has none of them.
  const looksLikePath = !/[\s,[]/.test(value) && (/\.(json|txt|schema)$/i.test(value) || value.includes('/'))
  let text = value
  if (existsSync(value)) {
    try {
      text = await readFile(value, 'utf8')
    } catch (error) {
      throw new UsageError(`Cannot read the schema file ${value}: ${(error as NodeJS.ErrnoException).code}`, {cause: error, hint: 'Check the path given to --schema.'}, 'E_SCHEMA_FILE')
    }
  } else if (looksLikePath && !value.trim().startsWith('{')) {
    throw new UsageError(`The schema file ${value} does not exist`, {hint: 'Check the path given to --schema, or give the schema itself.'}, 'E_SCHEMA_FILE')
  }

  if (!text.trim().startsWith('{')) return parseConciseSchema(text)
  let schema: unknown
  try {
    schema = JSON.parse(text)
  } catch (error) {
    throw new UsageError('The --schema JSON is not valid JSON', {cause: error, hint: 'Check it with: jq . FILE'}, 'E_SCHEMA_FILE')
  }

  const problems = checkJsonSchema(schema)
  const root = schema as Schema
  if (problems.length === 0 && root.type !== 'object' && root.properties === undefined) problems.push('/: the top level must be an object schema ("type": "object")')
  if (problems.length > 0) {
    throw new UsageError(`The --schema cannot be enforced: ${problems.slice(0, 5).join('; ')}`, {
      hint: 'Supported: type, properties, required, additionalProperties, items, prefixItems, enum, const, oneOf/anyOf, $defs/$ref, min/maxLength, min/maxItems. Not: pattern, format, minimum/maximum.',
    }, 'E_SCHEMA_UNSUPPORTED')
  }

  return schema as JsonSchema
}

/** Bounds {@link boundSchema} adds where the user's schema has none. */
export interface SchemaBounds {
  /** Longest string, in characters; default 200. */
  maxStringLength: number
  /** Most array items; default 20. */
  maxItems: number
}

/** The default {@link SchemaBounds}. */
export const DEFAULT_SCHEMA_BOUNDS: SchemaBounds = {maxStringLength: 200, maxItems: 20}

/**
 * The schema the grammar is built from: the user's, with a `maxLength` on every string and a `maxItems` on every
 * array that lacks one (never below its own minimum). Bounds only narrow what is valid, so every output of the
 * bounded grammar is valid against the user's schema too, and a model (even one with random weights) always finishes.
 */
export function boundSchema(schema: JsonSchema, bounds: SchemaBounds = DEFAULT_SCHEMA_BOUNDS): JsonSchema {
  const visit = (node: unknown): unknown => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return node
    const s: Schema = {...(node as Schema)}
    const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type]
    if (types.includes('string') && typeof s.maxLength !== 'number') s.maxLength = Math.max(bounds.maxStringLength, typeof s.minLength === 'number' ? s.minLength : 0)
    if ((types.includes('array') || s.items !== undefined) && typeof s.maxItems !== 'number') s.maxItems = Math.max(bounds.maxItems, typeof s.minItems === 'number' ? s.minItems : 0)
    if (s.properties) s.properties = Object.fromEntries(Object.entries(s.properties as Schema).map(([name, child]) => [name, visit(child)]))
    if (s.items !== undefined) s.items = visit(s.items)
    for (const key of ['oneOf', 'anyOf', 'prefixItems'] as const) if (Array.isArray(s[key])) s[key] = (s[key] as unknown[]).map(visit)
    for (const key of ['$defs', 'definitions'] as const) {
      if (s[key]) s[key] = Object.fromEntries(Object.entries(s[key] as Schema).map(([name, child]) => [name, visit(child)]))
    }

    if (typeof s.additionalProperties === 'object') s.additionalProperties = visit(s.additionalProperties)
    return s
  }

  return visit(schema) as JsonSchema
}
