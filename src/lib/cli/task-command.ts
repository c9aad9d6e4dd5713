import {isPhiCategory, parseIdPattern, type DeidMode} from '../deid/index.js'
import type {ChatExample, Engine, EngineOptions} from '../engine/index.js'
import {UsageError} from '../errors/index.js'
import {countRecords, openInputs, type RecordSource} from '../io/index.js'
import type {RunSummary} from '../pipeline/index.js'
import {createDeidTask, type Task} from '../tasks/index.js'
import {openReidentificationMap, resolveDeidKey, runTaskOverRecords, type ReidentificationMap} from '../use-cases/index.js'
import type {TaskFlagValues} from './flags.js'
import {trapInterrupt} from './interrupt.js'
import type {Logger} from './logger.js'
import {createTaskProgress} from './progress.js'

/** Hooks for task commands whose engine or input differ from a text task's (vlm). */
export interface TaskCommandHooks {
  /** Creates the engine instead of `createEngine`, e.g. a vision engine with its projector. */
  createEngine?: (options: EngineOptions) => Promise<Engine>
  /** The records to run instead of reading `--input`, e.g. the one image given with `--image`. */
  openSource?: () => Promise<RecordSource>
  /**
   * Counts the records `openSource` will yield, for the total and ETA of progress; default: the records of the file
   * arguments or the `--input` file when `openSource` is not given (stdin has no total).
   */
  countRecords?: () => Promise<number | undefined>
  /** The file arguments (see taskArgs), read instead of `--input`. */
  files?: string[]
  /** Few-shot turns of `--examples` (see `readExamples`). */
  examples?: readonly ChatExample[]
}

/**
 * Runs a task command: the task over the records of the file arguments or `--input` (see runTaskOverRecords), with
 * progress on stderr (see createTaskProgress; none under `--quiet`) and Ctrl-C handling (a clean stop with exit 130;
 * a second Ctrl-C exits at once).
 */
export async function runTaskCommand(task: Task, flags: TaskFlagValues, logger: Logger, hooks: TaskCommandHooks = {}): Promise<RunSummary> {
  const files = hooks.files ?? []
  if (files.length > 0 && flags.input !== undefined) {
    throw new UsageError('The input is given twice: as file arguments and with --input', {hint: 'Pass the files as arguments (- for stdin), or one file with --input.'})
  }

  const interrupt = trapInterrupt()
  const progress = createTaskProgress(task.name, {quiet: flags.quiet})
  const inputs = files.length > 0 ? files : [flags.input ?? '-']
  try {
    return await runTaskOverRecords({
      task,
      engine: flags.engine,
      model: flags.model,
      gpu: flags.gpu,
      threads: flags.threads,
      lora: flags.lora,
      contextSize: flags['context-size'],
      parallel: flags.parallel,
      maxTokens: flags['max-tokens'],
      temperature: flags.temperature,
      seed: flags.seed,
      examples: hooks.examples,
      tokenTimeoutMs: flags['token-timeout'] === undefined ? undefined : flags['token-timeout'] * 1000,
      field: flags.field,
      idField: flags['id-field'],
      failFast: flags['fail-fast'],
      format: flags.format,
      outputPath: flags.output,
      resumeFrom: flags.resume,
      shard: flags.shard,
      auditPath: flags.audit,
      verbose: flags.verbose,
      openSource:
        hooks.openSource ??
        (() =>
          openInputs(inputs, {
            format: flags['input-format'],
            field: flags.field,
            idField: flags['id-field'],
            onTerminal: () => logger.info('Reading the note from the terminal; end it with Ctrl-D.'),
            onEmpty: (name) => logger.info(`${name} is empty: no record for it`),
          })),
      // A shard's share of a file is not counted: its progress has no total.
      countRecords: hooks.countRecords ?? (hooks.openSource || flags.shard ? undefined : () => countInputs(inputs, flags['input-format'])),
      createEngine: hooks.createEngine,
      signal: interrupt.signal,
      log: (level, message) => logger.log(level, message),
      onProgress: (event) => progress.update(event),
    })
  } finally {
    progress.stop()
    interrupt.release()
  }
}

/** The records of all the inputs, or undefined when one of them is stdin or not a regular file (it has no total). */
async function countInputs(paths: string[], format: TaskFlagValues['input-format']): Promise<number | undefined> {
  let total = 0
  for (const path of paths) {
    const count = path === '-' ? undefined : await countRecords(path, format)
    if (count === undefined) return undefined
    total += count
  }

  return total
}

/** The flags of `deid` beyond the task flags, in camelCase. */
export interface DeidCommandOptions {
  mode: DeidMode
  patientField?: string
  keyFile?: string
  /** The re-identification map file (mode 0600). */
  map?: string
  keepOriginal: boolean
  spans: boolean
  /** `CATEGORY=REGEX` identifier patterns. */
  idPatterns: string[]
  /** Rules only: no model is loaded. */
  rulesOnly: boolean
}

/**
 * Runs `jsl-med deid`: resolves the key (see resolveDeidKey), opens the map when asked (mode 0600; appended to on
 * `--resume`), and runs the deid task as every task command runs (see runTaskCommand). With `rulesOnly` the echo
 * engine stands in, so that no model is needed or loaded. Originals go to the map only: never to a log line.
 */
export async function runDeidCommand(options: DeidCommandOptions, flags: TaskFlagValues, logger: Logger, files: string[]): Promise<RunSummary> {
  const idPatterns = options.idPatterns.map((spec) => {
    try {
      return parseIdPattern(spec, isPhiCategory)
    } catch (error) {
      throw new UsageError(`--id-pattern: ${(error as Error).message}`, {hint: 'Give CATEGORY=REGEX, e.g. --id-pattern \'mrn=\\bMR\\d{7}\\b\' (group 1, when present, is the identifier).'})
    }
  })
  const {key, source} = await resolveDeidKey({mode: options.mode, keyFile: options.keyFile})
  if (source === 'random' && (options.mode === 'surrogate' || options.mode === 'date-shift')) {
    logger.info('deid: a random key for this run, so surrogates and date offsets differ from other runs; pass --key-file for stable ones')
  }

  let map: ReidentificationMap | undefined
  try {
    map = options.map === undefined ? undefined : await openReidentificationMap(options.map, {append: flags.resume !== undefined})
    const task = createDeidTask({
      mode: options.mode,
      key,
      field: flags.field,
      keepOriginal: options.keepOriginal,
      spans: options.spans,
      patientField: options.patientField,
      idPatterns,
      useModel: !options.rulesOnly,
      onReplacements: map ? (entry) => map!.write(entry) : undefined,
    })
    return await runTaskCommand(task, options.rulesOnly ? {...flags, engine: 'echo'} : flags, logger, {files})
  } finally {
    await map?.close()
  }
}
