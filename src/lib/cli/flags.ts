import {existsSync} from 'node:fs'

import {Args, Errors, Flags, type Interfaces} from '@oclif/core'

import {BENCH_TASKS, DEFAULT_THRESHOLD_PERCENT, MAX_SHOTS, SYNTHETIC_SHAPES} from '../bench/index.js'
import type {LoraAdapter} from '../engine/index.js'
import {parseShard, type ShardSpec} from '../shard/index.js'
import type {BaseCommand} from './base-command.js'

const number = Flags.custom<number>({
  parse: async (input) => {
    const value = Number(input)
    if (!Number.isFinite(value)) throw new Errors.CLIError(`Expected a number but received: ${input}`)
    return value
  },
})

/** `-j auto` or a whole number of records at once, 1 to 256. */
const parallelFlag = Flags.custom<'auto' | number>({
  parse: async (input) => {
    if (input === 'auto') return 'auto'
    const value = Number(input)
    // A CLIError, as oclif's own flags throw, is a usage error (exit 2).
    if (!Number.isInteger(value) || value < 1 || value > 256) throw new Errors.CLIError(`Expected auto or a whole number from 1 to 256 but received: ${input}`)
    return value
  },
})

/**
 * Parses `--lora FILE[:SCALE]`: a GGUF LoRA adapter and its scale (default 1; a path that itself ends in `:<number>`
 * needs the scale written out). A file that does not exist is a usage error (exit 2).
 */
export function parseLoraSpec(input: string): LoraAdapter {
  const match = /^(.+):(-?\d+(?:\.\d+)?)$/.exec(input)
  const adapter: LoraAdapter = match ? {path: match[1], scale: Number(match[2])} : {path: input}
  if (!existsSync(adapter.path)) throw new Errors.CLIError(`LoRA adapter not found: ${adapter.path}`, {suggestions: ['Give --lora FILE[:SCALE], e.g. --lora adapter.gguf:0.8']})
  return adapter
}

const loraFlag = Flags.custom<LoraAdapter>({parse: async (input) => parseLoraSpec(input)})

/** `--shard I/N`: a usage error (exit 2) unless 0 ≤ I < N, as oclif's own flags fail. */
const shardFlag = Flags.custom<ShardSpec>({
  parse: async (input) => {
    try {
      return parseShard(input)
    } catch (error) {
      throw new Errors.CLIError((error as Error).message, {suggestions: ['Under a Slurm array: --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT"']})
    }
  },
})

/** `--lora FILE[:SCALE]` (repeatable): LoRA adapters applied to the model, for every command that runs a text model. */
export const loraFlags = {
  lora: loraFlag({
    multiple: true,
    helpValue: 'FILE[:SCALE]',
    description: 'LoRA adapter in GGUF form (llama.cpp convert_lora_to_gguf.py) applied to the model, with its scale (default 1; 0 turns it off). Repeatable. It must match the model\'s architecture and shapes, else exit 7.',
    helpGroup: 'MODEL',
  }),
}

/** `--examples FILE`: few-shot examples, for the text task commands that take them (summarize, ner, soap, extract). */
export const examplesFlags = {
  examples: Flags.string({
    description:
      'NDJSON of few-shot examples, one {"input": TEXT, "output": {…}} a line, output in this command\'s own output shape; shown to the model after the instructions, in the prompt prefix every record shares. Checked at start: a bad line is a usage error naming it.',
    helpValue: 'FILE',
    helpGroup: 'GENERATION',
  }),
}

/** `--gpu` and `--threads`: how llama.cpp runs, shared by the task commands and `bench`. */
export const runtimeFlags = {
  gpu: Flags.option({
    options: ['auto', 'off', 'cuda', 'vulkan', 'metal'] as const,
    default: 'auto' as const,
    description: 'GPU backend; auto falls back to the CPU.',
    env: 'JSL_MED_GPU',
    helpGroup: 'MODEL',
  })(),
  threads: Flags.integer({char: 't', helpValue: 'N', description: 'CPU threads, fixed. [default: the cores free now (load of other processes, cgroup quota, affinity, SLURM_CPUS_PER_TASK), followed during the run]', min: 1, env: 'JSL_MED_THREADS', helpGroup: 'MODEL'}),
}

/** `--models-dir`: the model store, shared by `pull` and `models`. */
export const storeFlags = {
  'models-dir': Flags.directory({description: 'Model store. [default: <data dir>/models]', env: 'JSL_MED_MODELS_DIR', helpValue: 'DIR'}),
}

/** Which model runs a task, and how. */
export const modelFlags = {
  model: Flags.string({char: 'm', description: 'GGUF model file to run, or an installed model (see `jsl-med models`; a catalog alias such as qwen3-1.7b).', env: 'JSL_MED_MODEL', helpValue: 'PATH|NAME', helpGroup: 'MODEL'}),
  engine: Flags.option({
    options: ['llama', 'echo'] as const,
    default: 'llama' as const,
    description: 'Inference engine: llama (llama.cpp) or echo (a deterministic stand-in that needs no model, for testing pipelines).',
    helpGroup: 'MODEL',
  })(),
  ...runtimeFlags,
  ...loraFlags,
  'context-size': Flags.integer({helpValue: 'N', description: "Context size per sequence, in tokens. [default: the model's, at most 4096]", min: 64, helpGroup: 'MODEL'}),
  parallel: parallelFlag({
    helpValue: 'auto|N',
    char: 'j',
    description:
      'Records generated at once (sequences in one context), 1 to 256. auto loads 4 sequences (2 or 1 when memory is short), compares 1 record at a time with 4 on the first records (model tokens/s), and keeps 4 only when it is at least 10% faster.',
    default: 'auto',
    helpGroup: 'MODEL',
  }),
}

/** Where the retrieval index is and how it embeds: `index …`, `ask --index`, `chat --index`. */
export const indexFlags = {
  index: Flags.string({description: 'Index directory (a LanceDB database). [default: <data dir>/index]', env: 'JSL_MED_INDEX', helpValue: 'DIR', helpGroup: 'INDEX'}),
  'embed-model': Flags.string({
    description: 'GGUF embedding model (path or installed name). [default: the one the index was built with]',
    env: 'JSL_MED_EMBED_MODEL',
    helpValue: 'PATH|NAME',
    helpGroup: 'INDEX',
  }),
  'embed-engine': Flags.option({
    options: ['llama', 'echo'] as const,
    default: 'llama' as const,
    description: 'Embedding engine: llama (llama.cpp) or echo (hashed words, no model; for testing).',
    helpGroup: 'INDEX',
  })(),
}

/** Generation settings of every model call. */
export const generationFlags = {
  'max-tokens': Flags.integer({helpValue: 'N', description: 'Maximum tokens generated per model call.', min: 1, default: 512, helpGroup: 'GENERATION'}),
  temperature: number({helpValue: 'T', description: 'Sampling temperature; 0 is greedy and deterministic.', default: 0, helpGroup: 'GENERATION'}),
  seed: Flags.integer({helpValue: 'N', description: 'Sampling seed (matters when --temperature > 0).', helpGroup: 'GENERATION'}),
  'token-timeout': Flags.integer({
    helpValue: 'S',
    description: 'A record fails (E_STALLED) when its generation yields no token for S seconds; the run goes on. [default: 120]',
    min: 1,
    env: 'JSL_MED_TOKEN_TIMEOUT',
    helpGroup: 'GENERATION',
  }),
}

/** The record contract: where records come from and go, and what happens to failed or finished ones. */
export const recordFlags = {
  input: Flags.string({char: 'i', description: 'Input file, - for stdin (the same as one FILE argument). [default: -]', helpValue: 'FILE', helpGroup: 'INPUT/OUTPUT'}),
  output: Flags.string({char: 'o', description: 'Output file, - for stdout.', default: '-', helpValue: 'FILE', helpGroup: 'INPUT/OUTPUT'}),
  'input-format': Flags.option({
    options: ['auto', 'ndjson', 'text'] as const,
    default: 'auto' as const,
    description:
      'auto: NDJSON when the input starts with "{", else the whole input is one text document; a JSON array, and a first line that is not JSON before a JSON object (a header), are refused (exit 8). Input with nothing but whitespace has no records.',
    helpGroup: 'INPUT/OUTPUT',
  })(),
  format: Flags.option({
    options: ['ndjson', 'text'] as const,
    description: 'Output format. [default: ndjson for NDJSON input; text for a text document (ner, soap: only when stdout is a terminal)]',
    helpGroup: 'INPUT/OUTPUT',
  })(),
  field: Flags.string({helpValue: 'NAME', description: 'Input field holding the text.', default: 'text', helpGroup: 'INPUT/OUTPUT'}),
  'id-field': Flags.string({helpValue: 'NAME', description: 'Input field holding the record id.', default: 'id', helpGroup: 'INPUT/OUTPUT'}),
  'fail-fast': Flags.boolean({description: 'Stop at the first failed record (default: write an error record and go on, exit 9 at the end).', helpGroup: 'INPUT/OUTPUT'}),
  resume: Flags.string({
    description: 'Skip records whose id already has a line in FILE (the output of an earlier, perhaps interrupted, run). With -o FILE the same file is appended to.',
    helpValue: 'FILE',
    helpGroup: 'INPUT/OUTPUT',
  }),
  shard: shardFlag({
    description:
      'Run only share I of N of the input: the lines whose 0-based line number modulo N is I (round-robin, so stdin works and no count is needed). One Slurm array task per share; `jsl-med merge` puts the shares back in input order and checks every id is there once. Progress then has no total.',
    helpValue: 'I/N',
    helpGroup: 'INPUT/OUTPUT',
  }),
  audit: Flags.string({
    description: 'Append one line per record to FILE: ids, input and model sha256, parameters, timings, token counts, status. Never text.',
    helpValue: 'FILE',
    helpGroup: 'INPUT/OUTPUT',
  }),
}

/**
 * The positional input files of the text task commands (summarize, ner, soap), read in order. oclif takes a word
 * after a command for part of a longer command id (`summarize note.txt` → `summarize:note.txt`) unless the command
 * declares args: declaring this one is what lets `jsl-med summarize note.txt` work.
 */
export const taskArgs = {
  files: Args.string({
    description: "Input files, read in order, each as NDJSON or as one text document by its content (a text file's id is its path); - is stdin. [default: --input]",
    multiple: true,
    ignoreStdin: true,
  }),
}

/**
 * The flags every streaming task command (summarize, soap, ner, vlm) shares, defined once.
 * Defaults here are the documented defaults.
 */
export const taskFlags = {...modelFlags, ...generationFlags, ...recordFlags}

/** The parsed values of {@link taskFlags} plus the base flags, as oclif infers them from the definitions. */
export type TaskFlagValues = Interfaces.InferredFlags<typeof taskFlags & typeof BaseCommand.baseFlags>

/** `--shots 0,3`: distinct whole numbers from 0 to MAX_SHOTS. */
const shotsFlag = Flags.custom<number[]>({
  parse: async (input) => {
    const counts = input.split(',').map((part) => part.trim())
    if (counts.some((count) => !/^\d+$/.test(count) || Number(count) > MAX_SHOTS)) throw new Errors.CLIError(`Expected shot counts from 0 to ${MAX_SHOTS}, e.g. 0,3, but received: ${input}`)
    return [...new Set(counts.map(Number))].sort((a, b) => a - b)
  },
})

const percent = Flags.custom<number>({
  parse: async (input) => {
    const value = Number(input)
    if (!Number.isFinite(value) || value < 0) throw new Errors.CLIError(`Expected a percentage ≥ 0 but received: ${input}`)
    return value
  },
})

/** The flags of `jsl-med bench`. */
export const benchFlags = {
  model: Flags.string({char: 'm', description: 'GGUF model file to measure, or an installed model: its id, alias or catalog alias, as every --model takes (repeatable).', multiple: true, helpValue: 'PATH|NAME', helpGroup: 'MODEL'}),
  synthetic: Flags.option({options: SYNTHETIC_SHAPES, description: 'Measure a random-weight model of this shape (written once into the cache).', helpGroup: 'MODEL'})(),
  quant: Flags.string({description: 'Quantizations of the --synthetic model: q4 (Q4_0), q8 (Q8_0), q16 (F16). [default: q4]', helpValue: 'q4,q8,q16', helpGroup: 'MODEL'}),
  gpu: runtimeFlags.gpu,
  lora: loraFlag({
    multiple: true,
    helpValue: 'FILE[:SCALE]',
    description: 'LoRA adapter in GGUF form (repeatable): each model is measured as it is, then again with the adapters applied; the records carry each adapter\'s sha256.',
    helpGroup: 'MODEL',
  }),
  reference: Flags.string({description: 'With --tasks quality: the model every --model is compared with, an F16 or Q8_0 GGUF of the same weights (a path or an installed model). [default: with --synthetic, its q16]', helpValue: 'PATH|NAME', helpGroup: 'MODEL'}),
  mmproj: Flags.string({description: 'Vision projector (mmproj GGUF) of the model, for --tasks vqa-rad. [default: the one mmproj*.gguf next to the model file]', env: 'JSL_MED_MMPROJ', helpValue: 'PATH', helpGroup: 'MODEL'}),
  threads: Flags.integer({char: 't', description: 'CPU threads, at most the physical cores. [default: speed tests: what the cores free before each model loads allow; other tasks: physical cores]', min: 1, env: 'JSL_MED_THREADS', helpValue: 'N', helpGroup: 'MODEL'}),
  tasks: Flags.string({description: `Comma-separated tasks: ${BENCH_TASKS.join(', ')}.`, default: 'speed', helpValue: 'LIST', helpGroup: 'TASKS'}),
  repetitions: Flags.integer({char: 'r', description: 'Timed repetitions of each speed test (llama-bench -r).', min: 1, default: 5, helpValue: 'N', helpGroup: 'SPEED'}),
  'prompt-tokens': Flags.integer({char: 'p', description: 'Prompt tokens of the pp test (llama-bench -p).', min: 1, default: 512, helpValue: 'N', helpGroup: 'SPEED'}),
  'gen-tokens': Flags.integer({char: 'n', description: 'Generated tokens of the tg test (llama-bench -n).', min: 1, default: 128, helpValue: 'N', helpGroup: 'SPEED'}),
  depth: Flags.string({description: 'Context depths (llama-bench -d): before each pp/tg test the context is filled with D random tokens, untimed; one record per depth, its tests named pp512 @ dD, tg128 @ dD (0 is the plain test). [default: 0]', helpValue: 'D,…', helpGroup: 'SPEED'}),
  warmup: Flags.boolean({description: 'Run an untimed warm-up first (--no-warmup skips it).', allowNo: true, default: true, helpGroup: 'SPEED'}),
  'llama-bench': Flags.string({description: "llama.cpp's llama-bench: run it (-r 1, same model, -p, -n, -t) at the start of every repetition round, then jsl-med's repetition, so both see the same load; the record gets its figures and the ratio.", env: 'JSL_MED_LLAMA_BENCH', helpValue: 'PATH', helpGroup: 'SPEED'}),
  'busy-cores': Flags.integer({description: 'A benchmarking aid: keep N cores busy with child processes while measuring (killed at the end and on Ctrl-C), to measure under a known load. [default: 0]', min: 0, helpValue: 'N', helpGroup: 'SPEED'}),
  'data-dir': Flags.directory({
    description: 'Folder laid out like data/bench holding the datasets in their original formats. [default: $JSL_MED_DATA_DIR/datasets, where the datasets with a public download are fetched on first use]',
    env: 'JSL_MED_BENCH_DATA_DIR',
    helpValue: 'DIR',
    helpGroup: 'TASKS',
  }),
  offline: Flags.boolean({description: 'Never use the network: datasets must be in --data-dir or downloaded already (also JSL_MED_OFFLINE=1, HF_HUB_OFFLINE=1).', helpGroup: 'TASKS'}),
  text: Flags.file({description: 'With --tasks quality: the text whose next-token distributions are compared, a UTF-8 file cut into 512-token windows. [default: built-in clinical notes]', exists: true, helpValue: 'FILE', helpGroup: 'TASKS'}),
  limit: Flags.integer({description: 'First N questions per task (per MMLU subject; VQA-RAD test questions with an image), or N NER documents. [default: all]', min: 1, helpValue: 'N', helpGroup: 'TASKS'}),
  scoring: Flags.option({options: ['loglik', 'generate'] as const, default: 'loglik' as const, description: 'loglik: highest log-likelihood choice (lm-eval acc); generate: answer parsed from generated text.', helpGroup: 'TASKS'})(),
  shots: shotsFlag({
    description:
      'Few-shot counts, each scored in one run, e.g. 0,3: solved examples before each question or document. MMLU takes its dev rows (0-5); ner the first K documents of BC5CDR dev; medqa, medmcqa, pubmedqa and ner-ncbi the first K of their file, which are then not scored at any count (N is the same for every count).',
    default: [0],
    helpValue: 'K,…',
    helpGroup: 'TASKS',
  }),
  'context-size': Flags.integer({description: "Context for accuracy and NER, in tokens. [default: the model's, at most 4096]", min: 64, helpValue: 'N', helpGroup: 'TASKS'}),
  'max-tokens': Flags.integer({description: 'Generated tokens per question (generate scoring, vqa-rad) or NER document. [default: 16, vqa-rad 32, NER 512]', min: 1, helpValue: 'N', helpGroup: 'TASKS'}),
  seed: Flags.integer({description: 'Seed of the random prompt tokens and of sampling.', default: 1, helpValue: 'N', helpGroup: 'TASKS'}),
  output: Flags.string({char: 'o', description: 'Write the NDJSON lines to FILE instead of stdout.', default: '-', helpValue: 'FILE', helpGroup: 'OUTPUT'}),
  store: Flags.boolean({
    description: "Also append every record to this machine's bench history (<data dir>/bench/<hardware key>.ndjson), which `hw` cites; --no-store for a run that must not count.",
    allowNo: true,
    default: true,
    helpGroup: 'OUTPUT',
  }),
  compare: Flags.string({description: 'Compare two result files (A then B) instead of measuring.', multiple: true, helpValue: 'A.ndjson B.ndjson', helpGroup: 'COMPARE'}),
  threshold: percent({description: 'With --compare: percent by which a figure may get worse before it counts as a regression.', default: DEFAULT_THRESHOLD_PERCENT, helpValue: 'PCT', helpGroup: 'COMPARE'}),
}

/** The parsed values of {@link benchFlags} plus the base flags. */
export type BenchFlagValues = Interfaces.InferredFlags<typeof benchFlags & typeof BaseCommand.baseFlags>
