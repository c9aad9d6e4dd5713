import {createReadStream} from 'node:fs'
import {once} from 'node:events'
import type {Readable, Writable} from 'node:stream'

import ora from 'ora'

import {openAuditLog, type AuditLog} from '../audit/index.js'
import {adviseParallel, formatBytes} from '../advisor/index.js'
import {createEngine, type ContextFitRequest, type Engine, type EngineOptions, type GpuChoice} from '../engine/index.js'
import {EXIT_CODES, InputError, ResourceError, UsageError} from '../errors/index.js'
import {createLineWriter, openRecords, readResumeState, recordKey, type InputFormat, type RecordSource} from '../io/index.js'
import {defaultOutputFormat, describe, runTask, type OutputFormat, type RunSummary} from '../pipeline/index.js'
import {resolveModelPath, sha256File} from '../store/index.js'
import type {Task} from '../tasks/index.js'
import type {Logger} from './logger.js'
import {closeOutput, openOutput} from './output.js'

/** The parsed values of `taskFlags` plus the base flags. */
export interface TaskFlagValues {
  model?: string
  engine: 'echo' | 'llama'
  gpu: GpuChoice
  threads?: number
  'context-size'?: number
  parallel: number
  'max-tokens': number
  temperature: number
  seed?: number
  input: string
  output: string
  'input-format': InputFormat
  format?: OutputFormat
  field: string
  'id-field': string
  'fail-fast': boolean
  resume?: string
  audit?: string
  quiet: boolean
  verbose: boolean
}

/** Hooks for task commands whose engine or input differ from a text task's (vlm). */
export interface TaskCommandHooks {
  /** Creates the engine instead of `createEngine`, e.g. a vision engine with its projector. */
  createEngine?: (options: EngineOptions) => Promise<Engine>
  /** The records to run instead of reading `--input`, e.g. the one image given with `--image`. */
  openSource?: () => Promise<RecordSource>
}

/**
 * Runs a task command end to end: loads the engine, streams records from the input through the
 * pipeline to the output, shows progress on stderr (TTY only), stops cleanly on Ctrl-C (a second
 * Ctrl-C exits at once), skips what `--resume` says is done, writes the `--audit` log, and always
 * disposes the engine. Throws AppErrors; the base command renders them.
 */
export async function runTaskCommand(task: Task, flags: TaskFlagValues, logger: Logger, hooks: TaskCommandHooks = {}): Promise<RunSummary> {
  if (flags.engine === 'llama' && !flags.model) {
    throw new UsageError('No model given', {hint: 'Pass --model PATH to a .gguf file, or set JSL_MED_MODEL. `npm run synth -- model.gguf` writes a synthetic model to try.'}, 'E_NO_MODEL')
  }

  // --model may also name an installed or catalog model; one that is not installed fails with the `jsl-med pull` to run.
  if (flags.engine === 'llama') flags = {...flags, model: await resolveModelPath(flags.model!)}

  const interrupt = trapInterrupt()
  const spinner = ora({stream: process.stderr, isSilent: flags.quiet || !process.stderr.isTTY, discardStdin: false})
  let output: Writable | undefined
  let audit: AuditLog | undefined
  let engine: Engine | undefined
  try {
    const resume = flags.resume === undefined ? undefined : await readResumeState(flags.resume, flags['id-field'])
    spinner.start(`Loading ${flags.model ?? flags.engine}`)
    const modelSha256 = flags.audit && flags.engine === 'llama' ? sha256File(flags.model!) : undefined
    engine = await (hooks.createEngine ?? createEngine)({
      kind: flags.engine,
      modelPath: flags.model,
      gpu: flags.gpu,
      threads: flags.threads,
      contextSize: flags['context-size'],
      sequences: flags.parallel,
      logger: (level, message) => logger.log(level, message),
      verbose: flags.verbose,
      signal: interrupt.signal,
      checkFit: refuseParallelBeyondMemory,
    })
    logger.debug(`engine: ${JSON.stringify(engine.info)}`)
    const settings = {maxTokens: flags['max-tokens'], temperature: flags.temperature, seed: flags.seed}
    if (flags.audit) {
      const parameters = {...settings, contextSize: engine.info.contextSize, parallel: flags.parallel, field: flags.field}
      audit = await openAuditLog(flags.audit, {task: task.name, engine: engine.info.kind, modelSha256: await modelSha256, parameters})
    }

    output = await openOutput(flags.output, resume && flags.resume === flags.output ? {appendAfter: resume.completeBytes} : {})
    if (resume?.endsWithPartialLine && flags.resume !== flags.output) {
      // Appending after a torn line would glue the next record to it; start on a fresh line instead.
      logger.warn(`${flags.resume} ends with a partial line (the earlier run was cut off); it is left as it is and its record is done again`)
      output.write('\n')
    }

    spinner.text = `${task.name}: starting`
    let done = 0
    const source = hooks.openSource ? await hooks.openSource() : await openRecords(await openInput(flags.input, logger), {format: flags['input-format']})
    const summary = await runTask({
      task,
      engine,
      source,
      writer: createLineWriter(output),
      settings,
      outputFormat: flags.format ?? defaultOutputFormat(task, source.format, (output as {isTTY?: boolean}).isTTY === true),
      field: flags.field,
      idField: flags['id-field'],
      parallel: flags.parallel,
      failFast: flags['fail-fast'],
      skip: resume ? (record) => resume.done.has(recordKey(record)) : undefined,
      signal: interrupt.signal,
      onRecordError: (error, ref) => logger.warn(`record ${describe(ref)}: [${error.code}] ${error.message}`),
      onRecordDone: (report) => {
        spinner.text = `${task.name}: ${++done} records`
        void audit?.write(report)
      },
    })
    spinner.stop()
    if (summary.skipped > 0) logger.info(`${task.name}: skipped ${summary.skipped} records already in ${flags.resume}`)
    logger.debug(`${task.name}: ${summary.records} records, ${summary.failed} failed, ${(summary.durationMs / 1000).toFixed(1)} s`)
    return summary
  } finally {
    spinner.stop()
    interrupt.release()
    await engine?.dispose()
    await audit?.close()
    await closeOutput(output)
  }
}

/** Refuses a `-j` whose KV caches will not fit (exit 6), naming the largest `-j` that does. */
function refuseParallelBeyondMemory(request: ContextFitRequest): void {
  const availableBytes = request.freeRamBytes + (request.gpuLayers > 0 ? request.freeVramBytes : 0)
  const advice = adviseParallel({architecture: request.shape, contextSize: request.contextSize, sequences: request.sequences, availableBytes})
  if (advice.fits) return
  throw new ResourceError(
    `-j ${request.sequences} at ${request.contextSize} tokens per sequence needs about ${formatBytes(advice.neededBytes)} for its KV caches; ${formatBytes(availableBytes)} is free`,
    {
      hint: advice.maxSequences > 0 ? `Use -j ${advice.maxSequences} or fewer, or lower --context-size.` : 'Lower --context-size, or use a smaller model.',
      details: {sequences: request.sequences, maxSequences: advice.maxSequences, contextSize: request.contextSize},
    },
    'E_PARALLEL_TOO_LARGE',
  )
}

/** SIGINT handling for a run: the first Ctrl-C aborts cleanly (exit 130), a second one exits at once. */
function trapInterrupt(): {signal: AbortSignal; release: () => void} {
  const controller = new AbortController()
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(EXIT_CODES.interrupted)
    controller.abort()
  }

  process.on('SIGINT', onSigint)
  return {signal: controller.signal, release: () => process.removeListener('SIGINT', onSigint)}
}

async function openInput(path: string, logger: Logger): Promise<Readable> {
  if (path === '-') {
    if (process.stdin.isTTY) logger.info('Reading the note from the terminal; end it with Ctrl-D.')
    return process.stdin
  }

  const stream = createReadStream(path)
  try {
    await once(stream, 'open')
  } catch (error) {
    throw new InputError(`Cannot read input file ${path}: ${(error as NodeJS.ErrnoException).code}`, {cause: error, hint: 'Check the path given to --input.'}, 'E_INPUT_FILE')
  }

  return stream
}
