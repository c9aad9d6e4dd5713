import type {JsonSchema} from '../../engine/index.js'
import {createSpanAligner} from '../text/spans.js'
import {branchFor, resolveNode} from './merge.js'

type Schema = Record<string, unknown>

/** Where a string value of `data` is in the source. Invariant: `text === source.slice(start, end)`. */
export interface Evidence {
  /** JSON Pointer (RFC 6901) of the value in `data`, e.g. `/meds/0/name`. */
  path: string
  /** The source's own text at the offsets; equal to the value but for case and whitespace (see the aligner). */
  text: string
  /** JavaScript string indices (UTF-16 code units) into the record's text. */
  start: number
  end: number
}

/** The evidence of an extraction: what was found, and the pointers of the values that were not. */
export interface EvidenceResult {
  evidence: Evidence[]
  /** JSON Pointers of string values copied from nowhere: not in the source, so they get no offsets. */
  unsupported: string[]
}

const pointer = (parts: ReadonlyArray<number | string>): string => parts.map((part) => `/${String(part).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('')

/**
 * Looks up every free string value of `data` (a string whose schema is not an `enum` or `const`: those are chosen
 * from the schema, not copied from the text) in `source` with the `ner` aligner: case and whitespace may differ, and
 * the n-th use of the same value claims its n-th occurrence, or the first one when there are fewer; an occurrence
 * that overlaps the evidence of an earlier value is passed over when a later one is free. A value found
 * gets evidence with the source's exact text and offsets; a value not found (or with no letter or digit) is listed
 * as unsupported and never given offsets. Empty strings claim nothing and are neither.
 */
export function collectEvidence(data: unknown, schema: JsonSchema, source: string): EvidenceResult {
  const root = schema as Schema
  const aligner = createSpanAligner(source)
  const evidence: Evidence[] = []
  const unsupported: string[] = []
  const visit = (value: unknown, node: Schema | undefined, path: Array<number | string>): void => {
    let s = node ? resolveNode(root, node) : undefined
    if (s) s = branchFor(root, s, value)
    if (typeof value === 'string') {
      if (value.trim() === '' || (s && (s.enum !== undefined || s.const !== undefined))) return
      // An occurrence inside text that another value already claimed ("daily" in "twice daily") is passed over.
      const first = aligner.find(value)
      let span = first
      while (span && evidence.some((e) => e.start < span!.end && span!.start < e.end)) span = aligner.find(value)
      span ??= first ?? aligner.locate(value)
      if (span) evidence.push({path: pointer(path), text: span.text, start: span.start, end: span.end})
      else unsupported.push(pointer(path))
      return
    }

    if (Array.isArray(value)) {
      const prefix = Array.isArray(s?.prefixItems) ? (s.prefixItems as Schema[]) : []
      value.forEach((item, i) => visit(item, i < prefix.length ? prefix[i] : (s?.items as Schema | undefined), [...path, i]))
      return
    }

    if (typeof value === 'object' && value !== null) {
      const properties = (s?.properties ?? {}) as Record<string, Schema>
      const extra = typeof s?.additionalProperties === 'object' ? (s.additionalProperties as Schema) : undefined
      for (const [name, child] of Object.entries(value)) visit(child, properties[name] ?? extra, [...path, name])
    }
  }

  visit(data, root, [])
  return {evidence, unsupported}
}
