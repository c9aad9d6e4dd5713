import {Flags} from '@oclif/core'

import {BENCH_TASKS, DEFAULT_THRESHOLD_PERCENT, SYNTHETIC_SHAPES} from '../lib/bench/index.js'
import {BaseCommand, runBenchCommand, type BenchResult} from '../lib/cli/index.js'

export type {BenchResult} from '../lib/cli/index.js'

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
    const context = {logger: this.useLogger(flags), cacheDir: this.config.cacheDir, version: this.config.version, json: this.jsonEnabled()}
    return runBenchCommand(flags, context)
  }
}
