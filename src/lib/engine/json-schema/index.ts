import type {JsonSchema} from '../types.js'

type Schema = Record<string, unknown>

/** Keywords a schema for structured vision output may use; every other keyword is refused, not ignored. */
const SUPPORTED_KEYWORDS = new Set([
  'type',
  'const',
  'enum',
  'oneOf',
  'anyOf',
  'properties',
  'additionalProperties',
  'required',
  'items',
  'prefixItems',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  '$defs',
  'definitions',
  '$ref',
  // annotations, no effect on validity
  'title',
  'description',
  '$schema',
  '$id',
  '$comment',
  'examples',
  'default',
])

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null', 'object', 'array'])

/**
 * Lists what keeps `schema` from being enforced exactly by {@link jsonSchemaToGbnf}: unknown keywords
 * (`pattern`, `minimum`, `format`, …), unknown types, unresolvable `$ref`s, `required` names that are not
 * in `properties`. An empty list means every output the grammar allows is valid against the schema.
 * Problems name JSON pointers and keywords, never values.
 */
export function checkJsonSchema(schema: unknown): string[] {
  const problems: string[] = []
  const root = schema as Schema
  const visit = (node: unknown, at: string): void => {
    if (node === true || node === false) {
      if (at !== '') return
    }

    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      problems.push(`${at || '/'}: a schema must be an object`)
      return
    }

    const s = node as Schema
    for (const key of Object.keys(s)) if (!SUPPORTED_KEYWORDS.has(key)) problems.push(`${at || '/'}: keyword "${key}" is not supported`)
    const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type]
    for (const type of types) if (!TYPES.has(type as string)) problems.push(`${at || '/'}: type ${JSON.stringify(type)} is not supported`)
    if (s.enum !== undefined && (!Array.isArray(s.enum) || s.enum.length === 0)) problems.push(`${at || '/'}: enum must be a non-empty array`)
    if (typeof s.$ref === 'string' && resolveRef(root, s.$ref) === undefined) problems.push(`${at || '/'}: $ref ${JSON.stringify(s.$ref)} cannot be resolved`)
    const properties = (s.properties ?? {}) as Record<string, unknown>
    if (Array.isArray(s.required)) {
      for (const name of s.required) if (!Object.hasOwn(properties, name as string)) problems.push(`${at || '/'}: required property "${String(name)}" is not in properties`)
    }

    const none = types.length === 0 && s.const === undefined && s.enum === undefined && s.oneOf === undefined && s.anyOf === undefined && s.$ref === undefined
    if (none && s.properties === undefined && s.items === undefined) problems.push(`${at || '/'}: give a type (any-value schemas cannot be enforced)`)
    for (const [name, child] of Object.entries(properties)) visit(child, `${at}/properties/${name}`)
    for (const key of ['oneOf', 'anyOf', 'prefixItems'] as const) {
      if (Array.isArray(s[key])) (s[key] as unknown[]).forEach((child, i) => visit(child, `${at}/${key}/${i}`))
    }

    if (s.items !== undefined && s.items !== false) visit(s.items, `${at}/items`)
    for (const key of ['$defs', 'definitions'] as const) {
      for (const [name, child] of Object.entries((s[key] ?? {}) as Record<string, unknown>)) visit(child, `${at}/${key}/${name}`)
    }
  }

  visit(schema, '')
  return problems
}

function resolveRef(root: Schema, ref: string): Schema | undefined {
  const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref)
  if (!match) return undefined
  const defs = root[match[1]] as Record<string, Schema> | undefined
  return defs?.[decodeURIComponent(match[2]).replaceAll('~1', '/').replaceAll('~0', '~')]
}

const literal = (text: string): string => `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`

/**
 * Compiles a JSON schema (the {@link checkJsonSchema} subset) to a llama.cpp GBNF grammar for compact JSON:
 * no optional whitespace anywhere, every listed property in order, bounded digits, strings and arrays bounded by
 * `maxLength`/`maxItems`. Without free whitespace a model cannot wander off into blank lines, so bounded
 * schemas always finish within a small token budget, even with random weights.
 */
export function jsonSchemaToGbnf(schema: JsonSchema): string {
  const root = schema as Schema
  const rules = new Map<string, string>()
  const refRules = new Map<string, string>()
  let counter = 0
  const rule = (body: string): string => {
    const name = `r${counter++}`
    rules.set(name, body)
    return name
  }

  const compile = (node: unknown): string => {
    if (node === true || node === undefined) return 'value'
    const s = node as Schema
    if (typeof s.$ref === 'string') {
      const existing = refRules.get(s.$ref)
      if (existing) return existing
      const name = `ref${refRules.size}`
      refRules.set(s.$ref, name)
      rules.set(name, compile(resolveRef(root, s.$ref)))
      return name
    }

    if (s.const !== undefined) return literal(JSON.stringify(s.const))
    if (Array.isArray(s.enum)) return `(${s.enum.map((v) => literal(JSON.stringify(v))).join(' | ')})`
    const branches = (s.oneOf ?? s.anyOf) as unknown[] | undefined
    if (Array.isArray(branches)) return `(${branches.map((branch) => rule(compile(branch))).join(' | ')})`
    const types = s.type === undefined ? (s.properties ? ['object'] : s.items ? ['array'] : []) : Array.isArray(s.type) ? (s.type as string[]) : [s.type as string]
    if (types.length === 0) return 'value'
    return `(${types.map((type) => compileType(type, s)).join(' | ')})`
  }

  const compileType = (type: string, s: Schema): string => {
    switch (type) {
      case 'string': {
        const min = typeof s.minLength === 'number' ? s.minLength : 0
        const max = typeof s.maxLength === 'number' ? s.maxLength : undefined
        return `"\\"" char${max === undefined ? (min === 0 ? '*' : `{${min},}`) : `{${min},${max}}`} "\\""`
      }

      case 'number': {
        return 'number'
      }

      case 'integer': {
        return 'integer'
      }

      case 'boolean': {
        return '("true" | "false")'
      }

      case 'null': {
        return '"null"'
      }

      case 'object': {
        const properties = Object.entries((s.properties ?? {}) as Record<string, unknown>)
        if (properties.length === 0) return '"{}"'
        const parts = properties.map(([name, child], i) => `${literal(`${i === 0 ? '' : ','}${JSON.stringify(name)}:`)} ${rule(compile(child))}`)
        return `"{" ${parts.join(' ')} "}"`
      }

      default: {
        return compileArray(s)
      }
    }
  }

  const compileArray = (s: Schema): string => {
    const prefix = Array.isArray(s.prefixItems) ? (s.prefixItems as unknown[]).map((child) => rule(compile(child))) : []
    const min = typeof s.minItems === 'number' ? s.minItems : 0
    const max = typeof s.maxItems === 'number' ? s.maxItems : undefined
    const parts: string[] = []
    prefix.forEach((name, i) => parts.push(i === 0 ? name : `"," ${name}`))
    if (s.items !== false) {
      const item = rule(compile(s.items))
      const restMin = Math.max(0, min - prefix.length)
      const restMax = max === undefined ? undefined : Math.max(0, max - prefix.length)
      if (restMax !== 0) {
        if (prefix.length > 0) {
          parts.push(`("," ${item})${restMax === undefined ? (restMin === 0 ? '*' : `{${restMin},}`) : `{${restMin},${restMax}}`}`)
        } else {
          const tail = restMax === 1 ? '' : ` ("," ${item})${restMax === undefined ? '*' : `{0,${restMax - 1}}`}`
          const firstAndTail = restMin <= 1 ? `${item}${tail}` : `${item} ("," ${item}){${restMin - 1},${restMax === undefined ? '' : restMax - 1}}`
          parts.push(restMin === 0 ? `(${firstAndTail})?` : firstAndTail)
        }
      }
    }

    return `"[" ${parts.join(' ')} "]"`
  }

  const top = compile(root)
  const lines = [`root ::= ${top}`, ...[...rules].map(([name, body]) => `${name} ::= ${body}`)]
  lines.push(
    String.raw`char ::= [^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})`,
    String.raw`integer ::= "-"? ("0" | [1-9] [0-9]{0,15})`,
    // Two exponent digits at most: 17 digits and e999 would parse to Infinity, which is not a JSON number.
    String.raw`number ::= integer ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})?`,
    String.raw`value ::= "{" (string ":" value ("," string ":" value){0,15})? "}" | "[" (value ("," value){0,15})? "]" | string | number | "true" | "false" | "null"`,
    String.raw`string ::= "\"" char{0,256} "\""`,
  )
  return lines.join('\n') + '\n'
}

/**
 * Checks a value against a schema of the {@link checkJsonSchema} subset and returns the violations (empty when
 * valid). Messages name JSON paths and expectations, never the offending values, which may be patient data.
 * String lengths count Unicode code points, as JSON Schema does.
 */
export function validateJsonValue(value: unknown, schema: JsonSchema): string[] {
  const root = schema as Schema
  const errors: string[] = []
  const check = (v: unknown, node: unknown, at: string): boolean => {
    if (node === true || node === undefined) return true
    if (node === false) return fail(at, 'no value is allowed')
    const s = node as Schema
    if (typeof s.$ref === 'string') return check(v, resolveRef(root, s.$ref), at)
    if (s.const !== undefined && !deepEqual(v, s.const)) return fail(at, 'does not equal the constant')
    if (Array.isArray(s.enum) && !s.enum.some((option) => deepEqual(v, option))) return fail(at, 'is not one of the enum values')
    const branches = (s.oneOf ?? s.anyOf) as unknown[] | undefined
    if (Array.isArray(branches)) {
      const matches = branches.filter((branch) => validateJsonValue(v, {...(branch as object), ...definitionsOf(root)} as JsonSchema).length === 0).length
      if (matches === 0 || (s.oneOf && matches > 1)) return fail(at, s.oneOf ? 'matches none or several of oneOf' : 'matches none of anyOf')
    }

    const types = s.type === undefined ? [] : Array.isArray(s.type) ? (s.type as string[]) : [s.type as string]
    if (types.length > 0 && !types.some((type) => hasType(v, type))) return fail(at, `is not of type ${types.join(' or ')}`)
    if (typeof v === 'string') {
      const length = [...v].length
      if (typeof s.minLength === 'number' && length < s.minLength) return fail(at, `is shorter than ${s.minLength} characters`)
      if (typeof s.maxLength === 'number' && length > s.maxLength) return fail(at, `is longer than ${s.maxLength} characters`)
    }

    if (Array.isArray(v)) {
      if (typeof s.minItems === 'number' && v.length < s.minItems) return fail(at, `has fewer than ${s.minItems} items`)
      if (typeof s.maxItems === 'number' && v.length > s.maxItems) return fail(at, `has more than ${s.maxItems} items`)
      const prefix = Array.isArray(s.prefixItems) ? (s.prefixItems as unknown[]) : []
      let ok = true
      v.forEach((item, i) => {
        ok = check(item, i < prefix.length ? prefix[i] : s.items, `${at}[${i}]`) && ok
      })
      return ok
    }

    if (typeof v === 'object' && v !== null && (types.includes('object') || s.properties !== undefined)) {
      const record = v as Record<string, unknown>
      const properties = (s.properties ?? {}) as Record<string, unknown>
      let ok = true
      for (const name of (s.required ?? []) as string[]) if (!Object.hasOwn(record, name)) ok = fail(`${at}.${name}`, 'is missing')
      for (const [name, child] of Object.entries(record)) {
        if (Object.hasOwn(properties, name)) ok = check(child, properties[name], `${at}.${name}`) && ok
        else if (s.additionalProperties === undefined || s.additionalProperties === false) ok = fail(`${at}.${name}`, 'is not an allowed property')
        else ok = check(child, s.additionalProperties, `${at}.${name}`) && ok
      }

      return ok
    }

    return true
  }

  const fail = (at: string, problem: string): false => {
    errors.push(`${at} ${problem}`)
    return false
  }

  check(value, root, '$')
  return errors
}

function definitionsOf(root: Schema): Schema {
  return Object.fromEntries((['$defs', 'definitions'] as const).filter((key) => root[key] !== undefined).map((key) => [key, root[key]]))
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string': {
      return typeof value === 'string'
    }

    case 'number': {
      return typeof value === 'number' && Number.isFinite(value)
    }

    case 'integer': {
      return Number.isInteger(value)
    }

    case 'boolean': {
      return typeof value === 'boolean'
    }

    case 'null': {
      return value === null
    }

    case 'array': {
      return Array.isArray(value)
    }

    default: {
      return typeof value === 'object' && value !== null && !Array.isArray(value)
    }
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
