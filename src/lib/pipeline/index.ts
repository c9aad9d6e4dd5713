import type {Engine} from '../engine/index.js'
import {AppError, InputError, InterruptedError, PartialFailureError, toAppError} from '../errors/index.js'
import type {InputRecord, LineWriter, RecordSource} from '../io/index.js'
import type {Task, TaskSettings} from '../tasks/index.js'

/** How results are written: one JSON record per input record, or the task's human-readable text. */
export type OutputFormat = 'ndjson' | 'text'

/** Identifies a record in diagnostics without quoting its content. */
export interface RecordRef {
  line: number
  id?: number | string
}

/** Options of {@link runTask}. */
export interface RunTaskOptions<Result> {
  task: Task<Result>
  engine: Engine
  source: RecordSource
  writer: LineWriter
  settings: TaskSettings
  /** Output format; default `ndjson` for NDJSON input and `text` for a plain-text document. */
  outputFormat?: OutputFormat
  /** Input field holding the text; default `text`. */
  field?: string
  /** Input field holding the record id; default `id`. */
  idField?: string
  /** Records processed at once; default: the engine's sequence count. Output order never changes. */
  parallel?: number
  /** Stop at the first failed record and throw its error; default false (write an error record, go on). */
  failFast?: boolean
  /** Stops the run; records not yet written are dropped and an InterruptedError is thrown. */
  signal?: AbortSignal
  /** Called for every failed record, for stderr diagnostics. */
  onRecordError?: (error: AppError, record: RecordRef) => void
  /** Called after each record is written. */
  onRecordDone?: (record: RecordRef, ok: boolean) => void
}

/** Counts of a finished run. */
export interface RunSummary {
  records: number
  failed: number
  durationMs: number
}

type Outcome<Result> = {input: InputRecord; ref: RecordRef} & ({error: AppError} | {result: Result})

/**
 * Runs a task over a record stream: one output line per input record, in input order, input fields kept.
 * A record that fails becomes an in-band error record and the run goes on; at the end a run with
 * failures throws {@link PartialFailureError} (exit 9). A single plain-text document that fails throws
 * its own error instead, since there is no stream to continue.
 */
export async function runTask<Result>(options: RunTaskOptions<Result>): Promise<RunSummary> {
  const started = performance.now()
  const {source, writer, signal} = options
  const format = options.outputFormat ?? (source.format === 'ndjson' ? 'ndjson' : 'text')
  const field = options.field ?? 'text'
  const idField = options.idField ?? 'id'
  const window = Math.max(1, options.parallel ?? options.engine.info.sequences) * 2
  const inflight: Array<Promise<Outcome<Result>>> = []
  let records = 0
  let failed = 0
  let firstError: AppError | undefined

  const writeOutcome = async (outcome: Outcome<Result>): Promise<void> => {
    if (signal?.aborted) throw new InterruptedError()
    records++
    if ('error' in outcome) {
      failed++
      firstError ??= outcome.error
      options.onRecordError?.(outcome.error, outcome.ref)
      if (format === 'ndjson') await writer.writeRecord(errorRecord(outcome.ref, idField, outcome.error))
    } else if (format === 'ndjson') {
      await writer.writeRecord(resultRecord(outcome.input, outcome.ref, idField, options.task.outputField, outcome.result))
    } else {
      await writer.writeText(options.task.renderText(outcome.result))
    }

    options.onRecordDone?.(outcome.ref, !('error' in outcome))
    if (firstError && options.failFast) throw firstError
  }

  // Records still running when the run stops early (fail-fast, interrupt) are aborted and awaited,
  // so that the caller can dispose the engine safely.
  const stop = new AbortController()
  const taskSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal
  try {
    for await (const input of source.records) {
      if (signal?.aborted) break
      inflight.push(processRecord(input, options, field, idField, taskSignal))
      if (inflight.length >= window) await writeOutcome(await inflight.shift()!)
    }

    while (inflight.length > 0) await writeOutcome(await inflight.shift()!)
  } finally {
    stop.abort()
    await Promise.allSettled(inflight)
  }

  if (signal?.aborted) throw new InterruptedError()
  if (failed > 0 && source.format === 'text' && records === 1) throw firstError!
  if (failed > 0) throw new PartialFailureError(failed, records)
  return {records, failed, durationMs: performance.now() - started}
}

async function processRecord<Result>(
  input: InputRecord,
  options: RunTaskOptions<Result>,
  field: string,
  idField: string,
  signal: AbortSignal,
): Promise<Outcome<Result>> {
  const ref = recordRef(input, idField)
  if (input.error) return {input, ref, error: input.error}
  const text = input.value![field]
  if (typeof text !== 'string') {
    const problem = text === undefined ? `has no field "${field}"` : `field "${field}" is not a string`
    return {input, ref, error: new InputError(`record ${describe(ref)} ${problem}`, {hint: 'Name the text field with --field, e.g. --field note.'}, 'E_FIELD_MISSING')}
  }

  try {
    const result = await options.task.run(text, {engine: options.engine, settings: options.settings, signal})
    return {input, ref, result}
  } catch (error) {
    return {input, ref, error: toAppError(error)}
  }
}

function recordRef(input: InputRecord, idField: string): RecordRef {
  const id = input.value?.[idField]
  return typeof id === 'string' || typeof id === 'number' ? {line: input.line, id} : {line: input.line}
}

function resultRecord(input: InputRecord, ref: RecordRef, idField: string, outputField: string, result: unknown): Record<string, unknown> {
  const carried = ref.id === undefined && !(idField in input.value!) ? {line: ref.line} : {}
  return {...input.value, ...carried, [outputField]: result}
}

function errorRecord(ref: RecordRef, idField: string, error: AppError): Record<string, unknown> {
  const {exitCode: _exitCode, ...body} = error.toJSON()
  return ref.id === undefined ? {line: ref.line, error: body} : {[idField]: ref.id, error: body}
}

/** The id and line of a record for messages, e.g. `id=17 (line 3)`. */
export function describe(ref: RecordRef): string {
  return ref.id === undefined ? `at line ${ref.line}` : `id=${JSON.stringify(ref.id)} (line ${ref.line})`
}
