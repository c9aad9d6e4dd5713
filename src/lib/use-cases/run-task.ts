import type {Writable} from 'node:stream'

import {openAuditLog, type AuditLog} from '../audit/index.js'
import {createHash} from 'node:crypto'

import {createEngine, type ChatExample, type Engine, type EngineLogger, type EngineOptions, type GpuChoice, type LoraAdapter} from '../engine/index.js'
import {UsageError} from '../errors/index.js'
import {closeOutput, createLineWriter, openOutput, readResumeState, recordKey, type RecordSource} from '../io/index.js'
import {defaultOutputFormat, describe, runTask, type OutputFormat, type ParallelDecision, type RunSummary} from '../pipeline/index.js'
import {selectShard, type ShardSpec} from '../shard/index.js'
import {resolveModelPath, sha256File} from '../store/index.js'
import type {Task} from '../tasks/index.js'
import {createEngineForParallel} from './parallel-engine.js'

/** Options of {@link runTaskOverRecords}: what a task command's flags say, in camelCase. */
export interface RunTaskOptions {
  /** The task to run on every record. */
  task: Task
  /** `llama` runs a model; `echo` is the deterministic stand-in that needs none. */
  engine: 'echo' | 'llama'
  /** A .gguf path, or an installed or catalog model name (resolved through the store). Required for `llama`. */
  model?: string
  /** GPU backend; `auto` falls back to the CPU. */
  gpu: GpuChoice
  /** CPU threads; default: the engine's choice. */
  threads?: number
  /** LoRA adapters applied to the model (their sha256 goes into the audit log); default none. */
  lora?: readonly LoraAdapter[]
  /** Context per sequence, in tokens; default: the model's, capped by the engine. */
  contextSize?: number
  /**
   * Records generated at once (sequences in one context). `auto` loads 4 sequences (fewer when memory is short) and
   * lets the pipeline keep 4 records at once only when that measures at least 10% faster than one at a time.
   */
  parallel: 'auto' | number
  /** Generation limits of every model call. */
  maxTokens: number
  temperature: number
  seed?: number
  /** Few-shot turns (`--examples`, see `readExamples`) in the prompt prefix of every record; default none. */
  examples?: readonly ChatExample[]
  /** A generation without a token for this long fails as stalled; default: the engine's (120 s). */
  tokenTimeoutMs?: number
  /** Input field holding the text, and the one holding the id. */
  field: string
  idField: string
  /** Stop at the first failed record instead of writing an error record and going on. */
  failFast: boolean
  /** Output format; default: the pipeline's choice for the input format and whether the output is a terminal. */
  format?: OutputFormat
  /** Where the records go: `-` for stdout, else a file. */
  outputPath: string
  /** Skip records whose id already has a line in this file; when it is `outputPath`, that file is appended to. */
  resumeFrom?: string
  /** Run only this share of the input (see `selectShard`: line index modulo N); default the whole input. */
  shard?: ShardSpec
  /** Append one line per record to this file (ids, hashes, timings; never text). */
  auditPath?: string
  /** llama.cpp's own logs too. */
  verbose: boolean
  /**
   * Opens the records to run (the command's input, or e.g. the one image of `vlm --image`); called before the model
   * loads. An `empty` source ends the run at once with no records (and a note).
   */
  openSource: () => Promise<RecordSource>
  /** Creates the engine instead of `createEngine` (e.g. a vision engine with its projector). */
  createEngine?: (options: EngineOptions) => Promise<Engine>
  /** Aborts the run: records in flight finish or fail as interrupted, nothing half written. */
  signal: AbortSignal
  /** Diagnostics (stderr in the CLI). Never receives record text. */
  log: EngineLogger
  /**
   * Counts the records the input holds before they are read (e.g. `countRecords` of a file), for a total in
   * progress events; it runs while the model loads, and the first record waits for it. Leave it out when the total
   * cannot be known (stdin).
   */
  countRecords?: () => Promise<number | undefined>
  /** Progress: the model is loading, then records are running (with counts), then the run is finished. */
  onProgress?: (event: TaskProgressEvent) => void
}

/** What a task run has done so far: counts only, never text. */
export interface TaskProgress {
  /** Records written (ok or failed). */
  done: number
  /** Of `done`, the records written as error records. */
  failed: number
  /** Records skipped as done already (`resumeFrom`). */
  skipped: number
  /** Records in the input, once `countRecords` has counted them; skipped ones included. */
  total?: number
  /** Prompt and generated tokens of every model call so far (calls of records still running included). */
  promptTokens: number
  outputTokens: number
}

/** A progress event of {@link runTaskOverRecords}. */
export type TaskProgressEvent = {stage: 'finished'} | {stage: 'loading'; model: string} | ({stage: 'running'} & TaskProgress)

/**
 * Runs a task over a record stream end to end: resolves the model, opens the input (an empty one ends the run here,
 * before any model loads), loads the engine (refusing a `-j` whose KV caches will not fit), skips what `resumeFrom`
 * says is done, streams records through the pipeline to the output, writes the audit log, and always disposes the
 * engine. Throws AppErrors.
 */
export async function runTaskOverRecords(options: RunTaskOptions): Promise<RunSummary> {
  const {task, log} = options
  if (options.engine === 'llama' && !options.model) {
    throw new UsageError('No model given', {hint: 'Pass --model PATH to a .gguf file, or set JSL_MED_MODEL. `jsl-med synth model.gguf` writes a synthetic model to try.'}, 'E_NO_MODEL')
  }

  // --model may also name an installed or catalog model; one that is not installed fails with the `jsl-med pull` to run.
  const modelPath = options.engine === 'llama' ? await resolveModelPath(options.model!) : options.model
  let output: Writable | undefined
  let audit: AuditLog | undefined
  let engine: Engine | undefined
  try {
    const resume = options.resumeFrom === undefined ? undefined : await readResumeState(options.resumeFrom, options.idField)
    const progress: TaskProgress = {done: 0, failed: 0, skipped: 0, promptTokens: 0, outputTokens: 0}
    const report = (): void => options.onProgress?.({stage: 'running', ...progress})
    // Counted while the model loads, and awaited before the first record, so that every running event has the total.
    // A total is a nicety: a file that cannot be counted fails (or not) where it is opened to be read.
    const counted = options.countRecords?.().then((total) => (progress.total = total), () => {})
    // The input is opened (its format told, its first bytes read) before the model loads: an empty or refused
    // input then costs no model load.
    const whole = await options.openSource()
    const source = options.shard && !whole.empty ? {...whole, records: selectShard(whole.records, options.shard)} : whole
    if (source.empty) {
      log('info', `${task.name}: the input is empty, so there are no records to run`)
      output = await openOutput(options.outputPath, resume !== undefined && options.resumeFrom === options.outputPath ? {appendAfter: resume.completeBytes} : {})
      return {records: 0, failed: 0, skipped: 0, durationMs: 0}
    }

    options.onProgress?.({stage: 'loading', model: modelPath ?? options.engine})
    const modelSha256 = options.auditPath && options.engine === 'llama' ? sha256File(modelPath!) : undefined
    const lora = options.lora?.length ? options.lora : undefined
    const loraSha256 = options.auditPath && lora ? Promise.all(lora.map(async ({path, scale}) => ({path, scale: scale ?? 1, sha256: await sha256File(path)}))) : undefined
    const create = options.createEngine ?? createEngine
    const opened = await createEngineForParallel(options.parallel, options.engine, (sequences, checkFit) => create({
      kind: options.engine,
      modelPath,
      gpu: options.gpu,
      threads: options.threads,
      lora,
      contextSize: options.contextSize,
      sequences,
      logger: log,
      verbose: options.verbose,
      signal: options.signal,
      tokenTimeoutMs: options.tokenTimeoutMs,
      checkFit,
    }), log)
    engine = opened.engine
    log('debug', `engine: ${JSON.stringify(engine.info)}`)
    const examples = options.examples?.length ? options.examples : undefined
    const settings = {maxTokens: options.maxTokens, temperature: options.temperature, seed: options.seed, ...(examples ? {examples} : {})}
    // `-j auto` records per line the records at once the line's record ran with, and the sequences loaded.
    const parameters: Record<string, unknown> = {...settings, contextSize: engine.info.contextSize, parallel: options.parallel, field: options.field}
    // The audit log never holds text, so examples are told by their count and digest.
    if (examples) parameters.examples = {count: examples.length, sha256: createHash('sha256').update(JSON.stringify(examples)).digest('hex')}
    if (options.parallel === 'auto') parameters.sequences = opened.sequences
    if (options.auditPath) {
      audit = await openAuditLog(options.auditPath, {task: task.name, engine: engine.info.kind, modelSha256: await modelSha256, lora: await loraSha256, parameters})
    }

    const resumingInPlace = resume !== undefined && options.resumeFrom === options.outputPath
    output = await openOutput(options.outputPath, resumingInPlace ? {appendAfter: resume.completeBytes} : {})
    if (resume?.endsWithPartialLine && !resumingInPlace) {
      // Appending after a torn line would glue the next record to it; start on a fresh line instead.
      log('warn', `${options.resumeFrom} ends with a partial line (the earlier run was cut off); it is left as it is and its record is done again`)
      output.write('\n')
    }

    await counted
    report()
    const summary = await runTask({
      task,
      engine,
      source,
      writer: createLineWriter(output),
      settings,
      outputFormat: options.format ?? defaultOutputFormat(task, source.format, (output as {isTTY?: boolean}).isTTY === true),
      field: options.field,
      idField: options.idField,
      parallel: options.parallel,
      sequences: opened.sequences,
      onParallelDecision: (decision) => log('debug', describeDecision(decision, opened.sequences)),
      failFast: options.failFast,
      skip: resume
        ? (record) => {
            const isDone = resume.done.has(recordKey(record))
            if (isDone) progress.skipped++
            return isDone
          }
        : undefined,
      signal: options.signal,
      onRecordError: (error, ref) => log('warn', `record ${describe(ref)}: [${error.code}] ${error.message}`),
      onGeneration: (tokens) => {
        progress.promptTokens += tokens.promptTokens
        progress.outputTokens += tokens.outputTokens
        report()
      },
      onRecordDone: (record) => {
        progress.done++
        if (record.status === 'error') progress.failed++
        report()
        // The audit log reads its parameters when it writes a line (synchronously): this line gets its record's value.
        parameters.parallel = record.parallel
        void audit?.write(record)
      },
    })
    options.onProgress?.({stage: 'finished'})
    if (summary.skipped > 0) log('info', `${task.name}: skipped ${summary.skipped} records already in ${options.resumeFrom}`)
    log('debug', `${task.name}: ${summary.records} records, ${summary.failed} failed, ${(summary.durationMs / 1000).toFixed(1)} s`)
    return summary
  } finally {
    await engine?.dispose()
    await audit?.close()
    await closeOutput(output)
  }
}

/** The `--verbose` line of a `-j auto` run, e.g. `-j auto: 1 → 4 sequences: 812 vs 1460 tokens/s, keeping 4`. */
function describeDecision(decision: ParallelDecision | undefined, sequences: number): string {
  if (!decision) return `-j auto: too few records to compare 1 and ${sequences} at once; ran 1 at a time`
  const single = Math.round(decision.singleTokensPerSecond)
  const rates =
    decision.parallelRecords === 0
      ? `${single} tokens/s, and no record done at ${decision.sequences} at once in the time 1 at a time needs`
      : `${single} vs ${Math.round(decision.parallelTokensPerSecond)} tokens/s`
  const redone = decision.redone > 0 ? ` (${decision.redone} ${decision.redone === 1 ? 'record' : 'records'} redone)` : ''
  return `-j auto: 1 → ${decision.sequences} sequences: ${rates}, ${decision.chosen === 1 ? `back to 1${redone}` : `keeping ${decision.chosen}`}`
}
