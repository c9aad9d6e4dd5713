import {readFile} from 'node:fs/promises'

import {InputError} from '../../errors/index.js'
import {checkInputPath, closeOutput, createLineWriter, openInputs, openOutput, recordKey} from '../../io/index.js'
import {assertMergeComplete, describeKey, duplicateKeys, mergeShardOutputs, type ShardOutput} from '../../shard/index.js'

/** Options of {@link mergeShardFiles}. */
export interface MergeShardFilesOptions {
  /** The shards' output files (e.g. `out/shard-*.ndjson`), in any order when `inputPaths` is given. */
  shards: readonly string[]
  /**
   * The original input (one or more files, read as the task commands read them): it gives the order, and every one
   * of its records must have exactly one line. Without it, lines keep the order of `shards` and only duplicates
   * are found (for contiguous splits such as `split -l`, listed in order).
   */
  inputPaths?: readonly string[]
  /** The field holding the record id, in the input and in the shard outputs; default `id`. */
  idField?: string
  /** Where the merged lines go: `-` for stdout (default), else a file, written only when the check passes. */
  outputPath?: string
}

/** What {@link mergeShardFiles} wrote. */
export interface MergeShardFilesResult {
  /** Lines written: one per input record. */
  records: number
  /** Of `records`, the error records (records that failed in their shard; a shard that ran them exits 9). */
  failed: number
  /** Shard files read. */
  shards: number
}

/**
 * Merges the outputs of the shards of one input into one NDJSON in input order, checking that every input record
 * has exactly one line (see `mergeShardOutputs`); on a missing, duplicated or unknown id it throws an InputError
 * naming them (exit 8) and writes nothing.
 */
export async function mergeShardFiles(options: MergeShardFilesOptions): Promise<MergeShardFilesResult> {
  const idField = options.idField ?? 'id'
  await Promise.all(options.shards.map((path) => checkInputPath(path)))
  const order = options.inputPaths?.length ? await readInputKeys(options.inputPaths, idField) : undefined
  const repeated = order ? duplicateKeys(order) : []
  if (repeated.length > 0) {
    throw new InputError(`The input holds ids more than once (${repeated.slice(0, 10).map((key) => describeKey(key)).join(', ')}), so their shard lines cannot be told apart`, {hint: 'Give every record a unique id (--id-field names the field).'}, 'E_DUPLICATE_INPUT_ID')
  }

  const shards: ShardOutput[] = await Promise.all(options.shards.map(async (name) => ({name, lines: (await readFile(name, 'utf8')).split('\n')})))
  const result = mergeShardOutputs(shards, {order, idField})
  assertMergeComplete(result)
  const output = await openOutput(options.outputPath ?? '-')
  try {
    const writer = createLineWriter(output)
    for (const line of result.lines) await writer.writeText(`${line}\n`)
  } finally {
    await closeOutput(output)
  }

  return {records: result.lines.length, failed: result.failed, shards: shards.length}
}

/** The record keys of the input, in order, as the pipeline gives each record its id (or its line number). */
async function readInputKeys(paths: readonly string[], idField: string): Promise<string[]> {
  const source = await openInputs([...paths], {format: 'ndjson', idField})
  const keys: string[] = []
  for await (const record of source.records) {
    const id = record.value?.[idField] ?? record.id
    keys.push(recordKey(typeof id === 'string' || typeof id === 'number' ? {id, line: record.line} : {line: record.line}))
  }

  return keys
}
