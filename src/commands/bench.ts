import {once} from 'node:events'
import {createWriteStream} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import type {Writable} from 'node:stream'

import {Flags} from '@oclif/core'
import ora from 'ora'

import {
  BENCH_TASKS,
  compareRecords,
  DEFAULT_THRESHOLD_PERCENT,
  formatBenchTable,
  formatComparisonTable,
  parseBenchRecords,
  parseQuants,
  parseTasks,
  regressionError,
  resolveBenchModels,
  runBench,
  SYNTHETIC_SHAPES,
  type BenchRecord,
  type Comparison,
} from '../lib/bench/index.js'
import {BaseCommand} from '../lib/cli/index.js'
import {InputError, UsageError} from '../lib/errors/index.js'
import {detectPhysicalCores} from '../lib/hardware/index.js'
import {createLineWriter} from '../lib/io/index.js'

/** What `bench --json` returns: the records of a run, or a comparison. */
export type BenchResult = {comparison: Comparison} | {records: BenchRecord[]}

const percent = Flags.custom<number>({
  parse: async (input) => {
    const value = Number(input)
    if (!Number.isFinite(value) || value < 0) throw new Error(`Expected a percentage ≥ 0 but received: ${input}`)
    return value
  },
})

export default class Bench extends BaseCommand {
  static override summary = 'Measure speed per quantization and medical accuracy on this machine.'

  static override description = `Speed: llama-bench's pp512 and tg128 (prompt processing and generation, tokens/s as mean ± sd over -r repetitions after a warm-up; random token ids, fixed counts, EOS cannot end a run), time to first token and peak RSS.

Accuracy (--tasks medqa,medmcqa,pubmedqa,mmlu-med): the lm-evaluation-harness multimedqa prompts; "loglik" scoring picks the choice with the highest log-likelihood (lm-eval "acc"), "generate" parses the answer from generated text. Each task gets N, correct, accuracy and a 95% Wilson interval; with more than one task a "medical" record micro-averages them. NER (--tasks ner = BC5CDR, ner-ncbi = NCBI-disease): precision, recall and F1, strict and overlap. Datasets come from --data-dir, a folder laid out like data/bench with the original file names (downloading them is not implemented yet).

stdout gets one NDJSON line per (model, quant, task) with the hardware fingerprint, the model's sha256 and size, the node-llama-cpp and llama.cpp versions and the seed (schemas/bench-result.schema.json); a Markdown table follows on stderr. --synthetic measures a random-weight model of a given shape without downloading anything (cached; every record says synthetic). --compare A B prints the deltas between two runs as NDJSON and exits 9 when a throughput, accuracy or F1 figure got worse by more than --threshold percent.`

  static override examples = [
    {description: 'Speed of a synthetic 0.5B model in Q4_0 and Q8_0, 3 repetitions', command: '<%= config.bin %> <%= command.id %> --synthetic 0.5b --quant q4,q8 -r 3'},
    {description: 'Speed of your own model, results appended to a history file', command: '<%= config.bin %> <%= command.id %> -m model.gguf >> bench.ndjson'},
    {description: 'Medical accuracy on the first 20 questions of each task', command: '<%= config.bin %> <%= command.id %> -m model.gguf --tasks medqa,medmcqa,pubmedqa,mmlu-med --limit 20 --data-dir data/bench'},
    {description: 'Fail a CI job when a new build is more than 5% slower', command: '<%= config.bin %> <%= command.id %> --compare before.ndjson after.ndjson --threshold 5'},
  ]

  static override enableJsonFlag = true

  static override flags = {
    model: Flags.string({char: 'm', description: 'GGUF model file to measure (repeatable).', multiple: true, helpValue: 'PATH', helpGroup: 'MODEL'}),
    synthetic: Flags.option({options: SYNTHETIC_SHAPES, description: 'Measure a random-weight model of this shape (written once into the cache).', helpGroup: 'MODEL'})(),
    quant: Flags.string({description: 'Quantizations of the --synthetic model: q4 (Q4_0), q8 (Q8_0), q16 (F16). [default: q4]', helpValue: 'q4,q8,q16', helpGroup: 'MODEL'}),
    gpu: Flags.option({options: ['auto', 'off', 'cuda', 'vulkan', 'metal'] as const, default: 'auto' as const, description: 'GPU backend; auto falls back to the CPU.', env: 'JSL_MED_GPU', helpGroup: 'MODEL'})(),
    threads: Flags.integer({char: 't', description: 'CPU threads, at most the physical cores. [default: physical cores]', min: 1, env: 'JSL_MED_THREADS', helpValue: 'N', helpGroup: 'MODEL'}),
    tasks: Flags.string({description: `Comma-separated tasks: ${BENCH_TASKS.join(', ')}.`, default: 'speed', helpValue: 'LIST', helpGroup: 'TASKS'}),
    repetitions: Flags.integer({char: 'r', description: 'Timed repetitions of each speed test (llama-bench -r).', min: 1, default: 5, helpValue: 'N', helpGroup: 'SPEED'}),
    'prompt-tokens': Flags.integer({char: 'p', description: 'Prompt tokens of the pp test (llama-bench -p).', min: 1, default: 512, helpValue: 'N', helpGroup: 'SPEED'}),
    'gen-tokens': Flags.integer({char: 'n', description: 'Generated tokens of the tg test (llama-bench -n).', min: 1, default: 128, helpValue: 'N', helpGroup: 'SPEED'}),
    warmup: Flags.boolean({description: 'Run an untimed warm-up first (--no-warmup skips it).', allowNo: true, default: true, helpGroup: 'SPEED'}),
    'data-dir': Flags.directory({description: 'Folder laid out like data/bench holding the datasets in their original formats.', env: 'JSL_MED_BENCH_DATA_DIR', helpValue: 'DIR', helpGroup: 'TASKS'}),
    limit: Flags.integer({description: 'First N questions per task (per MMLU subject), or N NER documents. [default: all]', min: 1, helpValue: 'N', helpGroup: 'TASKS'}),
    scoring: Flags.option({options: ['loglik', 'generate'] as const, default: 'loglik' as const, description: 'loglik: highest log-likelihood choice (lm-eval acc); generate: answer parsed from generated text.', helpGroup: 'TASKS'})(),
    shots: Flags.integer({description: 'MMLU few-shot examples from the dev split (0-5). [default: 0]', min: 0, max: 5, default: 0, helpValue: 'N', helpGroup: 'TASKS'}),
    'context-size': Flags.integer({description: "Context for accuracy and NER, in tokens. [default: the model's, at most 4096]", min: 64, helpValue: 'N', helpGroup: 'TASKS'}),
    'max-tokens': Flags.integer({description: 'Generated tokens per question (generate scoring) or NER document. [default: 16 / 512]', min: 1, helpValue: 'N', helpGroup: 'TASKS'}),
    seed: Flags.integer({description: 'Seed of the random prompt tokens and of sampling.', default: 1, helpValue: 'N', helpGroup: 'TASKS'}),
    output: Flags.string({char: 'o', description: 'Write the NDJSON lines to FILE instead of stdout.', default: '-', helpValue: 'FILE', helpGroup: 'OUTPUT'}),
    compare: Flags.string({description: 'Compare two result files (A then B) instead of measuring.', multiple: true, helpValue: 'A.ndjson B.ndjson', helpGroup: 'COMPARE'}),
    threshold: percent({description: 'With --compare: percent by which a figure may get worse before it counts as a regression.', default: DEFAULT_THRESHOLD_PERCENT, helpValue: 'PCT', helpGroup: 'COMPARE'}),
  }

  async run(): Promise<BenchResult> {
    const {flags} = await this.parse(Bench)
    const logger = this.useLogger(flags)
    if (flags.compare) return this.compare(flags.compare, flags.threshold, flags.output)

    const physicalCores = await detectPhysicalCores()
    const threads = flags.threads ?? physicalCores
    if (threads > physicalCores) {
      throw new UsageError(`--threads ${threads} is more than this machine's ${physicalCores} physical cores`, {hint: 'More threads than cores makes llama.cpp far slower and the figures meaningless; use --threads ' + physicalCores + ' or fewer.'}, 'E_THREADS')
    }

    const tasks = parseTasks(flags.tasks)
    const interrupt = new AbortController()
    const onSigint = (): void => interrupt.abort()
    const spinner = ora({stream: process.stderr, isSilent: flags.quiet || !process.stderr.isTTY, discardStdin: false})
    const output = this.jsonEnabled() ? undefined : await openOutput(flags.output)
    const writer = output ? createLineWriter(output) : undefined
    try {
      spinner.start('bench: preparing')
      const models = await resolveBenchModels({
        models: flags.model,
        synthetic: flags.synthetic,
        quants: flags.quant === undefined ? undefined : parseQuants(flags.quant),
        syntheticDir: join(this.config.cacheDir, 'synthetic'),
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
        cacheDir: this.config.cacheDir,
        jslMedVersion: this.config.version,
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

  private async compare(files: string[], thresholdPercent: number, outputPath: string): Promise<BenchResult> {
    if (files.length !== 2) throw new UsageError(`--compare takes two files, got ${files.length}`, {hint: 'Use: --compare before.ndjson after.ndjson'})
    const [a, b] = await Promise.all(files.map(async (file) => parseBenchRecords(await readText(file), file)))
    const comparison = compareRecords(a, b, thresholdPercent)
    if (!this.jsonEnabled()) {
      const output = await openOutput(outputPath)
      try {
        const writer = createLineWriter(output)
        for (const delta of comparison.deltas) await writer.writeRecord(delta)
      } finally {
        await closeOutput(output)
      }

      if (comparison.deltas.length > 0) this.logger.info(formatComparisonTable(comparison).trimEnd())
    }

    if (comparison.deltas.length === 0) this.logger.warn('the two files have no (model, quant, task) in common')
    for (const key of comparison.onlyInA) this.logger.warn(`only in ${files[0]}: ${key}`)
    for (const key of comparison.onlyInB) this.logger.warn(`only in ${files[1]}: ${key}`)
    if (comparison.hardwareDiffers) this.logger.warn('the speed figures come from different hardware, backends or thread counts')
    if (comparison.regressions > 0) throw regressionError(comparison)
    return {comparison}
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    throw new InputError(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code}`, {cause: error, hint: 'Check the paths given to --compare.'}, 'E_INPUT_FILE')
  }
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

async function closeOutput(output: Writable | undefined): Promise<void> {
  if (!output || output === process.stdout) return
  output.end()
  await once(output, 'finish')
}
