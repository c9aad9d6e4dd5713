import {createReadStream, createWriteStream} from 'node:fs'
import {once} from 'node:events'
import type {Readable, Writable} from 'node:stream'

import ora from 'ora'

import {createEngine, type GpuChoice} from '../engine/index.js'
import {InputError, UsageError} from '../errors/index.js'
import {createLineWriter, openRecords, type InputFormat} from '../io/index.js'
import {describe, runTask, type OutputFormat, type RunSummary} from '../pipeline/index.js'
import type {Task} from '../tasks/index.js'
import type {Logger} from './logger.js'

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
  quiet: boolean
  verbose: boolean
}

/**
 * Runs a task command end to end: loads the engine, streams records from the input through the
 * pipeline to the output, shows progress on stderr (TTY only), stops cleanly on Ctrl-C, and always
 * disposes the engine. Throws AppErrors; the base command renders them.
 */
export async function runTaskCommand(task: Task, flags: TaskFlagValues, logger: Logger): Promise<RunSummary> {
  if (flags.engine === 'llama' && !flags.model) {
    throw new UsageError('No model given', {hint: 'Pass --model PATH to a .gguf file, or set JSL_MED_MODEL. `npm run synth -- model.gguf` writes a synthetic model to try.'}, 'E_NO_MODEL')
  }

  const interrupt = new AbortController()
  const onSigint = (): void => interrupt.abort()
  process.once('SIGINT', onSigint)
  const spinner = ora({stream: process.stderr, isSilent: flags.quiet || !process.stderr.isTTY, discardStdin: false})
  spinner.start(`Loading ${flags.model ?? flags.engine}`)
  const engine = await createEngine({
    kind: flags.engine,
    modelPath: flags.model,
    gpu: flags.gpu,
    threads: flags.threads,
    contextSize: flags['context-size'],
    sequences: flags.parallel,
    logger: (level, message) => logger.log(level, message),
    verbose: flags.verbose,
    signal: interrupt.signal,
  }).catch((error: unknown) => {
    spinner.stop()
    process.removeListener('SIGINT', onSigint)
    throw error
  })
  logger.debug(`engine: ${JSON.stringify(engine.info)}`)

  let output: Writable | undefined
  let done = 0
  try {
    spinner.text = `${task.name}: starting`
    output = await openOutput(flags.output)
    const input = await openInput(flags.input, logger)
    const summary = await runTask({
      task,
      engine,
      source: await openRecords(input, {format: flags['input-format']}),
      writer: createLineWriter(output),
      settings: {maxTokens: flags['max-tokens'], temperature: flags.temperature, seed: flags.seed},
      outputFormat: flags.format,
      field: flags.field,
      idField: flags['id-field'],
      parallel: flags.parallel,
      failFast: flags['fail-fast'],
      signal: interrupt.signal,
      onRecordError: (error, ref) => logger.warn(`record ${describe(ref)}: [${error.code}] ${error.message}`),
      onRecordDone: () => {
        spinner.text = `${task.name}: ${++done} records`
      },
    })
    spinner.stop()
    logger.debug(`${task.name}: ${summary.records} records, ${summary.failed} failed, ${(summary.durationMs / 1000).toFixed(1)} s`)
    return summary
  } finally {
    spinner.stop()
    process.removeListener('SIGINT', onSigint)
    await engine.dispose()
    if (output && output !== process.stdout) {
      output.end()
      await once(output, 'finish')
    }
  }
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

async function openOutput(path: string): Promise<Writable> {
  if (path === '-') return process.stdout
  const stream = createWriteStream(path)
  try {
    await once(stream, 'open')
  } catch (error) {
    throw new UsageError(`Cannot write output file ${path}: ${(error as NodeJS.ErrnoException).code}`, {cause: error, hint: 'Check the path given to --output.'}, 'E_OUTPUT_FILE')
  }

  return stream
}
