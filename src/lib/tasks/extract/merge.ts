import {validateJsonValue, type JsonSchema} from '../../engine/index.js'

type Schema = Record<string, unknown>

/** The schema node a `$ref` names (`#/$defs/x` or `#/definitions/x`), or the node itself. */
export function resolveNode(root: Schema, node: unknown): Schema | undefined {
  if (typeof node !== 'object' || node === null) return undefined
  const s = node as Schema
  if (typeof s.$ref !== 'string') return s
  const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(s.$ref)
  const defs = match ? (root[match[1]] as Record<string, Schema> | undefined) : undefined
  return match ? resolveNode(root, defs?.[decodeURIComponent(match[2]).replaceAll('~1', '/').replaceAll('~0', '~')]) : undefined
}

/** The branch of a `oneOf`/`anyOf` node that `value` is valid against (the first), or the node when it has none. */
export function branchFor(root: Schema, node: Schema, value: unknown): Schema {
  const branches = (node.oneOf ?? node.anyOf) as unknown[] | undefined
  if (!Array.isArray(branches)) return node
  const defs = Object.fromEntries((['$defs', 'definitions'] as const).filter((key) => root[key] !== undefined).map((key) => [key, root[key]]))
  for (const branch of branches) {
    if (validateJsonValue(value, {...(branch as Schema), ...defs} as JsonSchema).length === 0) return resolveNode(root, branch) ?? node
  }

  return node
}

const isEmpty = (value: unknown): boolean => value === undefined || value === null || value === ''
const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Merges the values extracted from the parts of a text too long for one model call, in text order. The rule:
 *
 * - arrays are concatenated in part order, an item equal (as JSON) to an earlier one is left out, and the list is
 *   cut at the schema's `maxItems`;
 * - objects are merged property by property, by the same rule;
 * - a scalar (string, number, boolean, null) is the first part's value that is not null or empty (`""`);
 *   later parts only fill what earlier ones left empty, they never overwrite;
 * - a value under `enum`, `const`, `oneOf` or `anyOf` is taken whole from the first part that gave it, since a
 *   blend of two alternatives may match neither.
 *
 * Every part's value is valid against `schema`, so the merge is too (lists only grow, up to `maxItems`).
 */
export function mergeExtractions(values: readonly unknown[], schema: JsonSchema): unknown {
  const root = schema as Schema
  const merge = (a: unknown, b: unknown, node: Schema | undefined): unknown => {
    if (a === undefined) return b
    if (b === undefined) return a
    const s = node ? resolveNode(root, node) : undefined
    if (s && (s.enum !== undefined || s.const !== undefined || s.oneOf !== undefined || s.anyOf !== undefined)) return isEmpty(a) ? b : a
    if (Array.isArray(a) && Array.isArray(b)) {
      const seen = new Set(a.map((item) => JSON.stringify(item)))
      const merged = [...a]
      for (const item of b) {
        const key = JSON.stringify(item)
        if (!seen.has(key)) merged.push(item)
        seen.add(key)
      }

      return typeof s?.maxItems === 'number' ? merged.slice(0, Math.max(s.maxItems, a.length)) : merged
    }

    if (isPlainObject(a) && isPlainObject(b)) {
      const properties = (s?.properties ?? {}) as Record<string, unknown>
      const extra = typeof s?.additionalProperties === 'object' ? (s.additionalProperties as Schema) : undefined
      const merged: Record<string, unknown> = {...a}
      for (const [name, value] of Object.entries(b)) merged[name] = merge(a[name], value, (properties[name] as Schema | undefined) ?? extra)
      return merged
    }

    return isEmpty(a) ? b : a
  }

  return values.reduce((merged, value) => merge(merged, value, root), undefined as unknown)
}

/**
 * Cuts every string longer than its schema's `maxLength` to that many code points. llama.cpp's grammar counts the
 * characters it decodes, and a model that writes broken UTF-8 (byte tokens that never complete a character) can
 * overrun a bound that way; everything else the grammar enforces holds.
 */
export function clampStrings(value: unknown, schema: JsonSchema): unknown {
  const root = schema as Schema
  const clamp = (v: unknown, node: unknown): unknown => {
    let s = resolveNode(root, node)
    if (!s) return v
    s = branchFor(root, s, v)
    if (typeof v === 'string') return typeof s.maxLength === 'number' && [...v].length > s.maxLength ? [...v].slice(0, s.maxLength).join('') : v
    if (Array.isArray(v)) {
      const prefix = Array.isArray(s.prefixItems) ? (s.prefixItems as unknown[]) : []
      return v.map((item, i) => clamp(item, i < prefix.length ? prefix[i] : s.items))
    }

    if (!isPlainObject(v)) return v
    const properties = (s.properties ?? {}) as Record<string, unknown>
    return Object.fromEntries(Object.entries(v).map(([name, child]) => [name, clamp(child, properties[name] ?? s.additionalProperties)]))
  }

  return clamp(value, root)
}
