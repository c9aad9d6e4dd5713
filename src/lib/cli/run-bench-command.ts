import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import ora from 'ora'

import {
  compareRecords,
  formatBenchTable,
  formatComparisonTable,
  parseBenchRecords,
  parseQuants,
  parseTasks,
  regressionError,
  resolveBenchModels,
  runBench,
  type BenchRecord,
  type Comparison,
} from '../bench/index.js'
import type {GpuChoice} from '../engine/index.js'
import {InputError, UsageError} from '../errors/index.js'
import {detectPhysicalCores} from '../hardware/index.js'
import {createLineWriter} from '../io/index.js'
import type {Logger} from './logger.js'
import {closeOutput, openOutput} from './output.js'

/** What `bench --json` returns: the records of a run, or a comparison. */
export type BenchResult = {comparison: Comparison} | {records: BenchRecord[]}

/** The parsed flags of `jsl-med bench`. */
export interface BenchFlagValues {
  model?: string[]
  synthetic?: string
  quant?: string
  gpu: GpuChoice
  threads?: number
  tasks: string
  repetitions: number
  'prompt-tokens': number
  'gen-tokens': number
  warmup: boolean
  'data-dir'?: string
  limit?: number
  scoring: 'generate' | 'loglik'
  shots: number
  'context-size'?: number
  'max-tokens'?: number
  seed: number
  output: string
  compare?: string[]
  threshold: number
  quiet: boolean
  verbose: boolean
}

/** Where the bench command runs: its logger, oclif's cache dir and version, and whether --json is on. */
export interface BenchCommandContext {
  logger: Logger
  cacheDir: string
  version: string
  json: boolean
}

/**
 * Runs `jsl-med bench`: checks threads against the physical cores, resolves (or synthesizes) the models,
 * streams one NDJSON record per (model, quant, task) to --output, and prints the table on stderr.
 */
export async function runBenchCommand(flags: BenchFlagValues, context: BenchCommandContext): Promise<BenchResult> {
  const {logger} = context
  if (flags.compare) return compareBenchFiles(flags.compare, flags.threshold, flags.output, context)

  const physicalCores = await detectPhysicalCores()
  const threads = flags.threads ?? physicalCores
  if (threads > physicalCores) {
    throw new UsageError(`--threads ${threads} is more than this machine's ${physicalCores} physical cores`, {hint: 'More threads than cores makes llama.cpp far slower and the figures meaningless; use --threads ' + physicalCores + ' or fewer.'}, 'E_THREADS')
  }

  const tasks = parseTasks(flags.tasks)
  const interrupt = new AbortController()
  const onSigint = (): void => interrupt.abort()
  const spinner = ora({stream: process.stderr, isSilent: flags.quiet || !process.stderr.isTTY, discardStdin: false})
  const output = context.json ? undefined : await openOutput(flags.output)
  const writer = output ? createLineWriter(output) : undefined
  try {
    spinner.start('bench: preparing')
    const models = await resolveBenchModels({
      models: flags.model,
      synthetic: flags.synthetic,
      quants: flags.quant === undefined ? undefined : parseQuants(flags.quant),
      syntheticDir: join(context.cacheDir, 'synthetic'),
      onSynthesize: (spec, written, total) => {
        spinner.text = `writing ${spec.id} ${spec.quant}: ${Math.round((100 * written) / total)}%`
      },
    })
    // Only now: Ctrl-C while a synthetic model is written ends the process (the cache keeps whole files only).
    process.once('SIGINT', onSigint)
    const records = await runBench({
      models,
      tasks,
      threads,
      gpu: flags.gpu,
      repetitions: flags.repetitions,
      warmup: flags.warmup,
      promptTokens: flags['prompt-tokens'],
      generateTokens: flags['gen-tokens'],
      seed: flags.seed,
      dataDir: flags['data-dir'],
      limit: flags.limit,
      scoring: flags.scoring,
      shots: flags.shots,
      contextSize: flags['context-size'],
      maxTokens: flags['max-tokens'],
      cacheDir: context.cacheDir,
      jslMedVersion: context.version,
      verbose: flags.verbose,
      signal: interrupt.signal,
      logger: (level, message) => logger.log(level, message),
      onProgress: (text) => {
        spinner.text = text
        logger.debug(text)
      },
      onRecord: async (record) => writer?.writeRecord(record),
    })
    spinner.stop()
    if (records.length > 0) logger.info('\n' + formatBenchTable(records).trimEnd())
    return {records}
  } finally {
    spinner.stop()
    process.removeListener('SIGINT', onSigint)
    await closeOutput(output)
  }
}

/** `bench --compare A B`: the deltas as NDJSON, a table on stderr, and a regression error beyond the threshold. */
export async function compareBenchFiles(files: string[], thresholdPercent: number, outputPath: string, context: BenchCommandContext): Promise<BenchResult> {
  const {logger} = context
  if (files.length !== 2) throw new UsageError(`--compare takes two files, got ${files.length}`, {hint: 'Use: --compare before.ndjson after.ndjson'})
  const [a, b] = await Promise.all(files.map(async (file) => parseBenchRecords(await readText(file), file)))
  const comparison = compareRecords(a, b, thresholdPercent)
  if (!context.json) {
    const output = await openOutput(outputPath)
    try {
      const writer = createLineWriter(output)
      for (const delta of comparison.deltas) await writer.writeRecord(delta)
    } finally {
      await closeOutput(output)
    }

    if (comparison.deltas.length > 0) logger.info(formatComparisonTable(comparison).trimEnd())
  }

  if (comparison.deltas.length === 0) logger.warn('the two files have no (model, quant, task) in common')
  for (const key of comparison.onlyInA) logger.warn(`only in ${files[0]}: ${key}`)
  for (const key of comparison.onlyInB) logger.warn(`only in ${files[1]}: ${key}`)
  if (comparison.hardwareDiffers) logger.warn('the speed figures come from different hardware, backends or thread counts')
  if (comparison.regressions > 0) throw regressionError(comparison)
  return {comparison}
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    throw new InputError(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code}`, {cause: error, hint: 'Check the paths given to --compare.'}, 'E_INPUT_FILE')
  }
}
