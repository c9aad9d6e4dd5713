import {InputError} from '../errors/index.js'
import {outputRecordKey} from '../io/index.js'

/** The output lines of one shard (one task of an array), as read from its file. */
export interface ShardOutput {
  /** The file's name, for messages. */
  name: string
  /** Its lines, without the newline; blank ones are ignored. */
  lines: readonly string[]
}

/** Options of {@link mergeShardOutputs}. */
export interface MergeOptions {
  /**
   * The record keys of the original input in input order (see `recordKey` in io: the id, or the line number of a
   * record without one). The merge is written in this order, and each key must have exactly one line. Without it,
   * lines keep the order of the shards as given (right for contiguous splits such as `split -l`), and only
   * duplicates can be found.
   */
  order?: readonly string[]
  /** The field holding the record id in the output lines; default `id`. */
  idField?: string
}

/** What a merge found: the lines in order, and every key that is missing, duplicated or not in the input. */
export interface MergeResult {
  /** The output lines in input order (or shard order without `order`), each once. */
  lines: string[]
  /** Keys of the input with no line in any shard. */
  missing: string[]
  /** Keys with more than one line, across shards or within one. */
  duplicated: string[]
  /** Keys of shard lines that are not in the input (only with `order`). */
  unknown: string[]
  /** Lines that are not a JSON object with an id or line number (e.g. a torn last line), as `file:line`. */
  unreadable: string[]
  /** Of `lines`, the error records (`{"error": …}`): records that failed in their shard. */
  failed: number
}

/**
 * Merges the outputs of the shards of one input: one line per input record, in input order. Pure: the caller reads
 * the files. Never throws; {@link assertMergeComplete} turns what it found into an error.
 */
export function mergeShardOutputs(shards: readonly ShardOutput[], options: MergeOptions = {}): MergeResult {
  const idField = options.idField ?? 'id'
  const byKey = new Map<string, {line: string; failed: boolean}>()
  const duplicated = new Set<string>()
  const unreadable: string[] = []
  const seenOrder: string[] = []
  for (const shard of shards) {
    shard.lines.forEach((line, index) => {
      if (line.trim() === '') return
      const value = parseLine(line)
      const key = outputRecordKey(value, idField)
      if (key === undefined) unreadable.push(`${shard.name}:${index + 1}`)
      else if (byKey.has(key)) duplicated.add(key)
      else {
        byKey.set(key, {line, failed: isErrorRecord(value)})
        seenOrder.push(key)
      }
    })
  }

  const order = options.order ?? seenOrder
  const inInput = new Set(order)
  const lines: string[] = []
  const missing: string[] = []
  let failed = 0
  for (const key of order) {
    const found = byKey.get(key)
    if (found === undefined) missing.push(key)
    else {
      lines.push(found.line)
      if (found.failed) failed++
    }
  }

  const unknown = options.order ? seenOrder.filter((key) => !inInput.has(key)) : []
  return {lines, missing, duplicated: [...duplicated], unknown, unreadable, failed}
}

/** Keys the input holds more than once: a merge cannot tell their lines apart, so they are refused. */
export function duplicateKeys(order: readonly string[]): string[] {
  const seen = new Set<string>()
  const twice = new Set<string>()
  for (const key of order) (seen.has(key) ? twice : seen).add(key)
  return [...twice]
}

/** A key as people read it: `17`, `"note-3"` or `line 5`. */
export function describeKey(key: string): string {
  return key.startsWith('line:') ? `line ${key.slice(5)}` : key.slice(3)
}

/**
 * Throws an InputError (exit 8, `E_MERGE_IDS`) naming the missing, duplicated, unknown ids and unreadable lines of a
 * merge (the first few of each, with counts), when there are any; the hint says how to complete the shards.
 */
export function assertMergeComplete(result: MergeResult): void {
  const parts: string[] = []
  const list = (keys: readonly string[]): string => {
    const shown = keys.slice(0, 10).map((key) => describeKey(key)).join(', ')
    return keys.length > 10 ? `${shown}, … (${keys.length - 10} more)` : shown
  }

  if (result.missing.length > 0) parts.push(`${result.missing.length} missing (${list(result.missing)})`)
  if (result.duplicated.length > 0) parts.push(`${result.duplicated.length} duplicated (${list(result.duplicated)})`)
  if (result.unknown.length > 0) parts.push(`${result.unknown.length} not in the input (${list(result.unknown)})`)
  if (result.unreadable.length > 0) parts.push(`${result.unreadable.length} unreadable lines (${result.unreadable.slice(0, 10).join(', ')})`)
  if (parts.length === 0) return
  throw new InputError(`The shard outputs do not hold every input record exactly once: ${parts.join('; ')}`, {
    hint: 'Re-run the shards that lack records with the same command (-o SHARD.out --resume SHARD.out completes a shard without duplicating it), then merge again.',
    details: {missing: result.missing.length, duplicated: result.duplicated.length, unknown: result.unknown.length, unreadable: result.unreadable.length},
  }, 'E_MERGE_IDS')
}

/** A shard line's value, or undefined for a torn or foreign line (reported as unreadable). */
function parseLine(line: string): unknown {
  try {
    const value: unknown = JSON.parse(line)
    return Array.isArray(value) ? undefined : value
  } catch {
    return undefined
  }
}

function isErrorRecord(value: unknown): boolean {
  const error = (value as {error?: unknown}).error
  return typeof error === 'object' && error !== null
}
