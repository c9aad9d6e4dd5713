import {parseDepths, parseTasks, regressionError, type BenchRecord, type BenchTaskName, type Comparison} from '../bench/index.js'
import {closeOutput, createLineWriter, openOutput} from '../io/index.js'
import {resolveDirs} from '../paths/index.js'
import {appendToHistory} from '../results/index.js'
import {compareBenchFiles, datasetTasks, fetchDatasets, prepareBench, runBench} from '../use-cases/index.js'
import {createDownloadProgress} from './download-progress.js'
import type {BenchFlagValues} from './flags.js'
import {trapInterrupt} from './interrupt.js'
import type {Logger} from './logger.js'
import {createStepProgress} from './progress.js'
import {formatBenchTable, formatComparisonTable} from './render/index.js'

/** What `bench --json` returns: the records of a run, or a comparison. */
export type BenchResult = {comparison: Comparison} | {records: BenchRecord[]}

/** Where the bench command runs: its logger, oclif's cache dir and version, and whether --json is on. */
export interface BenchCommandContext {
  logger: Logger
  cacheDir: string
  /** Where the bench history goes (`<dataDir>/bench`); default `resolveDirs().dataDir` (`JSL_MED_DATA_DIR`). */
  dataDir?: string
  version: string
  json: boolean
}

/**
 * Runs `jsl-med bench`: resolves (or synthesizes) the models, streams one NDJSON record per (model, quant, task)
 * to --output, and prints the table on stderr; or compares two result files.
 */
export async function runBenchCommand(flags: BenchFlagValues, context: BenchCommandContext): Promise<BenchResult> {
  const {logger} = context
  if (flags.compare) return renderComparison(flags.compare, flags.threshold, flags.output, context)

  const tasks = parseTasks(flags.tasks)
  // No flag default: a --depth given without the speed task is refused, so it must be told apart from none.
  const depths = flags.depth === undefined ? undefined : parseDepths(flags.depth)
  const dataDir = await benchDataDir(flags, tasks, logger)
  const progress = createStepProgress('bench', {quiet: flags.quiet})
  const output = context.json ? undefined : await openOutput(flags.output)
  const writer = output ? createLineWriter(output) : undefined
  let interrupt: ReturnType<typeof trapInterrupt> | undefined
  const keep = flags.store ? historyKeeper(context.dataDir ?? resolveDirs().dataDir, logger) : undefined
  try {
    progress.step('preparing')
    const {models, threads, reference} = await prepareBench({
      models: flags.model,
      synthetic: flags.synthetic,
      quants: flags.quant,
      threads: flags.threads,
      quality: tasks.includes('quality'),
      reference: flags.reference,
      speed: tasks.includes('speed'),
      text: flags.text,
      depths,
      cacheDir: context.cacheDir,
      onSynthesize: (spec, written, total) => {
        progress.step(`writing ${spec.id} ${spec.quant}: ${Math.round((100 * written) / total)}%`)
      },
    })
    // Only now: Ctrl-C while a synthetic model is written ends the process (the cache keeps whole files only).
    interrupt = trapInterrupt()
    const records = await runBench({
      models,
      tasks,
      threads,
      gpu: flags.gpu,
      repetitions: flags.repetitions,
      warmup: flags.warmup,
      llamaBench: flags['llama-bench'],
      busyCores: flags['busy-cores'],
      promptTokens: flags['prompt-tokens'],
      generateTokens: flags['gen-tokens'],
      depths,
      reference,
      qualityText: flags.text,
      seed: flags.seed,
      dataDir,
      limit: flags.limit,
      scoring: flags.scoring,
      shots: flags.shots,
      lora: flags.lora,
      contextSize: flags['context-size'],
      maxTokens: flags['max-tokens'],
      mmproj: flags.mmproj,
      cacheDir: context.cacheDir,
      jslMedVersion: context.version,
      verbose: flags.verbose,
      signal: interrupt.signal,
      logger: (level, message) => logger.log(level, message),
      onProgress: (text) => {
        progress.step(text)
        logger.debug(text)
      },
      onRecord: async (record) => {
        await writer?.writeRecord(record)
        await keep?.(record)
      },
    })
    progress.stop()
    if (records.length > 0) logger.info('\n' + formatBenchTable(records).trimEnd())
    return {records}
  } finally {
    progress.stop()
    interrupt?.release()
    await closeOutput(output)
  }
}

/**
 * The datasets folder: --data-dir, else `<data dir>/datasets`, where the datasets the tasks need are downloaded on
 * first use (progress and where they went on stderr).
 */
async function benchDataDir(flags: BenchFlagValues, tasks: BenchTaskName[], logger: Logger): Promise<string | undefined> {
  if (flags['data-dir'] || datasetTasks(tasks).length === 0) return flags['data-dir']
  const progress = createDownloadProgress({quiet: flags.quiet})
  const interrupt = trapInterrupt(() => {
    progress.finish()
    logger.info('Interrupted: what was downloaded is kept; run the same command again to resume.')
  })
  try {
    const result = await fetchDatasets({
      tasks,
      shots: flags.shots,
      offline: flags.offline,
      signal: interrupt.signal,
      onProgress: (event) => progress.update(event),
      log: (level, message) => logger.log(level, message),
    })
    progress.finish()
    const downloaded = result.files.filter((file) => file.downloaded).map((file) => file.file)
    logger.info(downloaded.length > 0 ? `Downloaded ${downloaded.join(', ')} into ${result.dataDir}` : `Reading the datasets from ${result.dataDir}`)
    return result.dataDir
  } finally {
    progress.finish()
    interrupt.release()
  }
}

/**
 * Appends each record to the bench history. A history that cannot be written costs one warning, not the run: the
 * records are on stdout already. The file is named once, in verbose mode.
 */
function historyKeeper(dataDir: string, logger: Logger): (record: BenchRecord) => Promise<void> {
  let state: 'failed' | 'fresh' | 'writing' = 'fresh'
  return async (record) => {
    if (state === 'failed') return
    try {
      const file = await appendToHistory(dataDir, record)
      if (state === 'fresh') logger.debug(`bench history: ${file}`)
      state = 'writing'
    } catch (error) {
      logger.warn(`the bench history was not written: ${error instanceof Error ? error.message : String(error)}`)
      state = 'failed'
    }
  }
}

/** `bench --compare A B`: the deltas as NDJSON, a table on stderr, and a regression error beyond the threshold. */
async function renderComparison(files: string[], thresholdPercent: number, outputPath: string, context: BenchCommandContext): Promise<BenchResult> {
  const {logger} = context
  const comparison = await compareBenchFiles(files, thresholdPercent)
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
