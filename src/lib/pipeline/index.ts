import {createHash} from 'node:crypto'

import type {ChatRequest, Engine, Generation} from '../engine/index.js'
import {AppError, InputError, InterruptedError, PartialFailureError, toAppError} from '../errors/index.js'
import type {InputRecord, LineWriter, RecordSource} from '../io/index.js'
import type {Task, TaskSettings} from '../tasks/index.js'
import {adaptiveLimiter, fixedLimiter, type ConcurrencyLimiter, type Lease, type ParallelDecision} from './concurrency.js'

export type {ParallelDecision} from './concurrency.js'

/** How results are written: one JSON record per input record, or the task's human-readable text. */
export type OutputFormat = 'ndjson' | 'text'

/** Identifies a record in diagnostics without quoting its content. */
export interface RecordRef {
  line: number
  id?: number | string
}

/** What happened to one record: everything an audit log may hold, and no text. */
export interface RecordReport {
  ref: RecordRef
  status: 'error' | 'ok'
  /** The error code when status is `error`. */
  errorCode?: string
  /** sha256 of the record's text field (absent when the record had none). */
  inputSha256?: string
  /** Model calls the record took, and their token counts. */
  calls: number
  promptTokens: number
  outputTokens: number
  durationMs: number
  /** Records allowed to run at once when this one started (`parallel`, or what `auto` had chosen by then). */
  parallel: number
}

/** Options of {@link runTask}. */
export interface RunTaskOptions<Result> {
  task: Task<Result>
  engine: Engine
  source: RecordSource
  writer: LineWriter
  settings: TaskSettings
  /** Output format; default: {@link defaultOutputFormat} with `outputIsTty` false. */
  outputFormat?: OutputFormat
  /** Input field holding the text; default `text`. */
  field?: string
  /** Input field holding the record id; default `id`. */
  idField?: string
  /**
   * Records processed at once; default: the engine's sequence count. Output order never changes. `auto` runs one
   * record at a time, then `sequences` at a time, and keeps the faster in model tokens per second (see
   * {@link ParallelDecision}); a `sequences` of 1 makes it 1.
   */
  parallel?: number | 'auto'
  /** With `parallel: 'auto'`: the most records at once, compared with one; default: the engine's sequence count. */
  sequences?: number
  /** With `parallel: 'auto'`: called once with what was measured and kept, or `undefined` when too few records ran. */
  onParallelDecision?: (decision: ParallelDecision | undefined) => void
  /** Stop at the first failed record and throw its error; default false (write an error record, go on). */
  failFast?: boolean
  /** Records for which this returns true are skipped without output (they are done already: `--resume`). */
  skip?: (record: RecordRef) => boolean
  /** Stops the run; records not yet written are dropped and an InterruptedError is thrown. */
  signal?: AbortSignal
  /** Called for every failed record, for stderr diagnostics. */
  onRecordError?: (error: AppError, record: RecordRef) => void
  /** Called after each record is written. */
  onRecordDone?: (report: RecordReport) => void
  /** Called after each model call of any record, with its token counts, e.g. for a tokens/s on stderr. */
  onGeneration?: (tokens: {promptTokens: number; outputTokens: number}) => void
}

/** Counts of a finished run. */
export interface RunSummary {
  records: number
  failed: number
  /** Records skipped because `skip` said they were done. */
  skipped: number
  durationMs: number
}

type Outcome<Result> = {input: InputRecord; report: RecordReport} & ({error: AppError} | {result: Result})

/**
 * Runs a task over a record stream: one output line per input record, in input order, input fields kept.
 * A record that fails becomes an in-band error record and the run goes on; at the end a run with
 * failures throws {@link PartialFailureError} (exit 9). A single plain-text document that fails throws
 * its own error instead, since there is no stream to continue.
 */
export async function runTask<Result>(options: RunTaskOptions<Result>): Promise<RunSummary> {
  const started = performance.now()
  const {source, writer, signal} = options
  const format = options.outputFormat ?? defaultOutputFormat(options.task, source.format, false)
  const idField = options.idField ?? 'id'
  const {limiter, window} = limiterFor(options)
  const inflight: Array<Promise<Outcome<Result>>> = []
  let records = 0
  let failed = 0
  let skipped = 0
  /** Records begun so far: their input order, for the limiter. */
  let begun = 0
  let firstError: AppError | undefined

  const writeOutcome = async (outcome: Outcome<Result>): Promise<void> => {
    if (signal?.aborted) throw new InterruptedError()
    records++
    const {ref} = outcome.report
    if ('error' in outcome) {
      failed++
      firstError ??= outcome.error
      options.onRecordError?.(outcome.error, ref)
      if (format === 'ndjson') await writer.writeRecord(errorRecord(ref, idField, outcome.error))
    } else if (format === 'ndjson') {
      await writer.writeRecord(resultRecord(outcome.input, ref, idField, options.task, outcome.result))
    } else {
      await writer.writeText(options.task.renderText(outcome.result))
    }

    options.onRecordDone?.(outcome.report)
    if (firstError && options.failFast) throw firstError
  }

  // Records still running when the run stops early (fail-fast, interrupt) are aborted and awaited,
  // so that the caller can dispose the engine safely.
  const stop = new AbortController()
  const taskSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal
  try {
    for await (const input of source.records) {
      if (signal?.aborted) break
      if (options.skip?.(recordRef(input, idField))) {
        skipped++
        continue
      }

      inflight.push(processRecord(input, begun++, options, limiter, taskSignal))
      if (inflight.length >= window) await writeOutcome(await inflight.shift()!)
    }

    while (inflight.length > 0) await writeOutcome(await inflight.shift()!)
    limiter.finish()
  } finally {
    limiter.close()
    stop.abort()
    await Promise.allSettled(inflight)
  }

  if (signal?.aborted) throw new InterruptedError()
  if (failed > 0 && source.format === 'text' && records === 1) throw firstError!
  if (failed > 0) throw new PartialFailureError(failed, records)
  return {records, failed, skipped, durationMs: performance.now() - started}
}

/** The records-at-once limiter of a run, and its ordered window: twice the most records that may run at once. */
function limiterFor(options: Pick<RunTaskOptions<unknown>, 'engine' | 'onParallelDecision' | 'parallel' | 'sequences'>): {limiter: ConcurrencyLimiter; window: number} {
  if (options.parallel !== 'auto') {
    const parallel = Math.max(1, options.parallel ?? options.engine.info.sequences)
    return {limiter: fixedLimiter(parallel), window: parallel * 2}
  }

  const sequences = Math.max(1, options.sequences ?? options.engine.info.sequences)
  if (sequences === 1) return {limiter: fixedLimiter(1), window: 2}
  return {limiter: adaptiveLimiter({sequences, onDecision: options.onParallelDecision}), window: sequences * 2}
}

async function processRecord<Result>(input: InputRecord, order: number, options: RunTaskOptions<Result>, limiter: ConcurrencyLimiter, signal: AbortSignal): Promise<Outcome<Result>> {
  let started = performance.now()
  const field = options.field ?? 'text'
  const report: RecordReport = {ref: recordRef(input, options.idField ?? 'id'), status: 'ok', calls: 0, promptTokens: 0, outputTokens: 0, durationMs: 0, parallel: limiter.limit}
  const fail = (error: AppError): Outcome<Result> => {
    report.status = 'error'
    report.errorCode = error.code
    report.durationMs = performance.now() - started
    return {input, report, error}
  }

  if (input.error) return fail(input.error)
  const text = input.value![field]
  if (typeof text !== 'string') {
    const problem = text === undefined ? `has no field "${field}"` : `field "${field}" is not a string`
    return fail(new InputError(`record ${describe(report.ref)} ${problem}`, {hint: fieldHint(input.value!, field, options.idField ?? 'id')}, 'E_FIELD_MISSING'))
  }

  report.inputSha256 = createHash('sha256').update(text).digest('hex')
  // A record the limiter stops (`auto` found many at once far slower than one) runs again from the start.
  let granted = limiter.acquire(signal, order)
  for (;;) {
    let lease: Lease
    try {
      if (granted instanceof Promise) {
        lease = await granted
        // A record's time is its own: it starts when the record may run, not while it waits for the limiter.
        started = performance.now()
      } else {
        lease = granted
      }
    } catch (error) {
      return fail(toAppError(error))
    }

    Object.assign(report, {parallel: lease.limit, calls: 0, promptTokens: 0, outputTokens: 0})
    let tokens = 0
    try {
      const engine = meter(options.engine, report, (generation) => {
        tokens += (generation.evaluatedPromptTokens ?? generation.promptTokens) + generation.outputTokens
        options.onGeneration?.({promptTokens: generation.promptTokens, outputTokens: generation.outputTokens})
      })
      const recordSignal = lease.signal ? AbortSignal.any([signal, lease.signal]) : signal
      const result = await options.task.run(text, {engine, settings: options.settings, signal: recordSignal, record: input.value, ref: report.ref})
      report.durationMs = performance.now() - started
      return {input, report, result}
    } catch (error) {
      if (lease.redo && !signal.aborted) {
        // Queued again before the lease goes, so that this record, earlier than any waiting, runs next.
        granted = limiter.acquire(signal, order)
        continue
      }

      return fail(toAppError(error))
    } finally {
      lease.release(tokens)
    }
  }
}

/** The engine as one record sees it: every call is counted into the record's report, and handed to `onGeneration`. */
function meter(engine: Engine, report: RecordReport, onGeneration: (generation: Generation) => void): Engine {
  return {
    info: engine.info,
    countTokens: (text) => engine.countTokens(text),
    countPromptTokens: (request) => engine.countPromptTokens(request),
    async chat(request: ChatRequest): Promise<Generation> {
      report.calls++
      const generation = await engine.chat(request)
      report.promptTokens += generation.promptTokens
      report.outputTokens += generation.outputTokens
      onGeneration(generation)
      return generation
    },
    dispose: () => engine.dispose(),
  }
}

/**
 * The hint of a record without its text field: the names (never the values) of the fields that could hold the text,
 * those with a string value. Only names that look like field names are shown, since a key can itself be data.
 */
function fieldHint(value: Record<string, unknown>, field: string, idField: string): string {
  const names = Object.keys(value).filter((name) => name !== idField && typeof value[name] === 'string' && /^[A-Za-z_][\w.-]{0,63}$/.test(name))
  if (names.length === 0) return `The record has no string field to read the text from; put the text in "${field}", or name its field with --field.`
  const listed = names.slice(0, 12).map((name) => JSON.stringify(name)).join(', ') + (names.length > 12 ? `, and ${names.length - 12} more` : '')
  return `The record's string fields are ${listed}. Name the one holding the text with --field, e.g. --field ${names[0]}.`
}

function recordRef(input: InputRecord, idField: string): RecordRef {
  const id = input.value?.[idField] ?? input.id
  return typeof id === 'string' || typeof id === 'number' ? {line: input.line, id} : {line: input.line}
}

function resultRecord<Result>(input: InputRecord, ref: RecordRef, idField: string, task: Task<Result>, result: Result): Record<string, unknown> {
  const carried = ref.id === undefined && !(idField in input.value!) ? {line: ref.line} : {}
  const kept = {...input.value}
  for (const field of task.omitFields ?? []) delete kept[field]
  return {...kept, ...carried, ...(task.toRecord ? task.toRecord(result) : {[task.outputField]: result})}
}

function errorRecord(ref: RecordRef, idField: string, error: AppError): Record<string, unknown> {
  const {exitCode: _exitCode, ...body} = error.toJSON()
  return ref.id === undefined ? {line: ref.line, error: body} : {[idField]: ref.id, error: body}
}

/**
 * The output format when `--format` is not given (the one place this rule lives): NDJSON for NDJSON input;
 * for a plain-text document, text, except that a structured task (ner, soap) writes NDJSON when stdout is
 * not a terminal, so that `jsl-med ner < note.txt | jsl-med soap` composes while a person at a terminal reads text.
 */
export function defaultOutputFormat(task: Pick<Task, 'structured'>, inputFormat: 'ndjson' | 'text', outputIsTty: boolean): OutputFormat {
  if (inputFormat === 'ndjson') return 'ndjson'
  return task.structured && !outputIsTty ? 'ndjson' : 'text'
}

/** The id and line of a record for messages, e.g. `id=17 (line 3)`. */
export function describe(ref: RecordRef): string {
  return ref.id === undefined ? `at line ${ref.line}` : `id=${JSON.stringify(ref.id)} (line ${ref.line})`
}

