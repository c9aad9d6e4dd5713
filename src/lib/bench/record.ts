import type {BenchModelInfo} from '../engine/index.js'
import type {TaskAccuracy, ScoringMode} from './accuracy.js'
import type {DeidFigures} from './deid/score.js'
import {fingerprintHardware, type FileIdentity, type HardwareFingerprint} from './fingerprint.js'
import type {BenchModelSpec} from './models.js'
import type {NerFigures} from './ner.js'
import type {Summary} from './stats.js'
import type {VqaFigures} from './vqa/score.js'

/** The version of the record format; `schemas/bench-result.schema.json` describes it. */
export const BENCH_SCHEMA_VERSION = 1

/** The model a record measured. */
export interface ModelIdentity {
  /** `synthetic:<shape>` or the file name. */
  id: string
  path: string
  sha256: string
  sizeBytes: number
  /** GGUF file type (`Q4_0`, `Q8_0`, `F16`, `Q4_K_M`, …). */
  fileType: string
  architecture: string
  parameterCount?: number
  /** The synthetic shape (`0.5b`, …). */
  shape?: string
}

/** Versions of the software that produced a record. */
export interface SoftwareVersions {
  jslMed: string
  nodeLlamaCpp: string
  llamaCpp: {release: string; repo: string; buildType: string}
  node: string
}

/** Fields every bench record has. */
export interface BenchRecordBase {
  schemaVersion: typeof BENCH_SCHEMA_VERSION
  /** Shared by all records of one `bench` run. */
  runId: string
  /** ISO 8601 time the record was written. */
  timestamp: string
  model: ModelIdentity
  /** The LoRA adapters the model ran with (`bench --lora`); absent when none. */
  lora?: LoraIdentity[]
  /** `q4`/`q8`/`q16`, or the file type of a user's model in lower case (`q4_k_m`). */
  quant: string
  synthetic: boolean
  hardware: HardwareFingerprint
  software: SoftwareVersions
  /** Seed of the random prompt tokens (speed) and of sampling (generate, NER). */
  seed: number
  /** Wall time of this task, model loading excluded. */
  durationMs: number
}

/** Speed: llama-bench pp/tg figures. */
export interface SpeedRecord extends BenchRecordBase {
  kind: 'speed'
  task: 'speed'
  settings: {
    promptTokens: number
    generateTokens: number
    repetitions: number
    warmup: boolean
    contextSize: number
    batchSize: number
    flashAttention: boolean | 'auto'
    /** Threads the pp/tg tests ran at (also `hardware.threads`). */
    threads?: number
    /** Why: `set by --threads`, or the choice from the cores free before loading (`describeThreadChoice`). */
    threadChoice?: string
    /** Threads of the tg test when they differ from `threads` (generation probed faster at 1 thread). */
    generateThreads?: number
    /** Busy child processes `--busy-cores` kept running during the measurement (a benchmarking aid). */
    busyCores?: number
    /**
     * llama-bench `-d`: tokens the context held before each pp, tg and first-token test (filled untimed); absent for
     * depth 0. The test names then end in ` @ d<depth>` (`pp512 @ d4096`).
     */
    depth?: number
  }
  speed: {
    /** `pp512` (`pp512 @ d4096` at a depth): prompt processing, tokens per second over the repetitions. */
    pp: {name: string; tokens: number; tokensPerSecond: Summary}
    /** `tg128` (`tg128 @ d4096` at a depth): token generation, tokens per second over the repetitions. */
    tg: {name: string; tokens: number; tokensPerSecond: Summary}
    /** Time from submitting a `pp`-sized prompt to the first sampled token. */
    timeToFirstTokenMs: Summary
    peakRssBytes: number
    loadMs: number
  }
  /** Each repetition round in run order: the 1-minute load average at its start, and what each program measured. */
  rounds?: SpeedRound[]
  /** With `--llama-bench`: llama.cpp's own llama-bench, run at the start of every round on the same model and threads. */
  baseline?: SpeedBaseline
  /** jsl-med / baseline, median over the rounds of each (with `baseline` only). */
  ratio?: {pp: number; tg: number}
}

/** One repetition round of a speed record. */
export interface SpeedRound {
  /** `os.loadavg()[0]` when the round started. */
  load1: number
  /** jsl-med's pp and tg tokens/s in this round. */
  pp: number
  tg: number
  /** llama-bench's pp and tg tokens/s in this round, run just before jsl-med's. */
  baselinePp?: number
  baselineTg?: number
}

/** The baseline program of a speed record and its figures over the rounds. */
export interface SpeedBaseline {
  tool: 'llama-bench'
  /** The executable that ran. */
  path: string
  /** Its `build_commit`, when it printed one. */
  build?: string
  pp: Summary
  tg: Summary
}

/** Accuracy of one task, or of the micro-averaged `medical` group. */
export interface AccuracyRecord extends BenchRecordBase {
  kind: 'accuracy'
  task: string
  settings: {
    scoring: ScoringMode
    /** `--limit` (per task; per subject for MMLU), or null for all questions. */
    limit: number | null
    shots: number
    contextSize: number | null
    maxTokens: number | null
  }
  accuracy: TaskAccuracy
  /** The dataset files read (absent for the group). */
  files?: string[]
  /** For the `medical` group: the tasks pooled. */
  tasks?: string[]
}

/** NER precision, recall and F1 on a PubTator corpus. */
export interface NerRecord extends BenchRecordBase {
  kind: 'ner'
  task: string
  /** `shots`: solved documents before each one (BC5CDR's dev split for `ner`); absent in records of older versions. */
  settings: {limit: number | null; maxTokens: number; shots?: number}
  ner: NerFigures
  files: string[]
}

/** De-identification per PHI category on the generated corpus, and how many inserted identifiers survive. */
export interface DeidRecord extends BenchRecordBase {
  kind: 'deid'
  task: 'deid'
  settings: {limit: number | null; maxTokens: number; perDocument: number; corpusSeed: number}
  deid: DeidFigures
  /** The PHI-free texts the identifiers were inserted into. */
  files: string[]
}

/** Visual question answering on VQA-RAD's test split with a vision model (MultiMedEval's protocol and figures). */
export interface VqaRecord extends BenchRecordBase {
  kind: 'vqa'
  task: 'vqa-rad'
  /** `mmproj`: the vision projector's path and sha256. */
  settings: {limit: number | null; maxTokens: number; mmproj: {path: string; sha256: string}}
  vqa: VqaFigures & {
    /** Test questions left out because their image is missing from the data directory. */
    missingImages: number
  }
  files: string[]
}

/**
 * Quantization damage (llama-perplexity `--kl-divergence` style): next-token distributions of this model against a
 * reference (F16 or q16 of the same weights) at every position of a clinical text, by the same engine.
 */
export interface QualityRecord extends BenchRecordBase {
  kind: 'quality'
  task: 'quality'
  quality: {
    /** The model the distributions are compared against. */
    reference: {id: string; sha256: string; fileType: string}
    /** `builtin` (the project's own clinical notes) or the `--text` file's base name. */
    text: string
    /** Next-token distributions compared. */
    positions: number
    /** Mean KL(reference ‖ this model) in nats, with a 95% interval (mean ± 1.96·sd/√N, low end at least 0). */
    kld: {mean: number; low: number; high: number}
    /** Share of positions where the two models' most likely next token is the same, with a 95% Wilson interval. */
    top1: {rate: number; low: number; high: number}
  }
}

/** One NDJSON line of `jsl-med bench`. */
export type BenchRecord = AccuracyRecord | DeidRecord | NerRecord | QualityRecord | SpeedRecord | VqaRecord

/** A LoRA adapter a record's model ran with: the path as given, its scale and sha256. */
export interface LoraIdentity {
  path: string
  scale: number
  sha256: string
}

/** What {@link buildRecordBase} puts into every record of one model. */
export interface RecordBaseOptions {
  spec: BenchModelSpec
  identity: FileIdentity
  info: BenchModelInfo
  jslMedVersion: string
  runId: string
  seed: number
  threads: number
  /** The adapters applied (`bench --lora`); absent for the model as it is. */
  lora?: readonly LoraIdentity[]
}

/** The fields of a record that say what ran where (all but the timestamp and duration). */
export async function buildRecordBase(options: RecordBaseOptions): Promise<Omit<BenchRecordBase, 'durationMs' | 'timestamp'>> {
  const {spec, identity, info} = options
  return {
    schemaVersion: BENCH_SCHEMA_VERSION,
    runId: options.runId,
    model: {
      id: spec.id,
      path: spec.path,
      sha256: identity.sha256,
      sizeBytes: identity.sizeBytes,
      fileType: info.fileType,
      architecture: info.architecture,
      ...(info.parameterCount === undefined ? {} : {parameterCount: info.parameterCount}),
      ...(spec.shape ? {shape: spec.shape} : {}),
    },
    ...(options.lora?.length ? {lora: [...options.lora]} : {}),
    quant: spec.quant ?? info.fileType.toLowerCase(),
    synthetic: spec.synthetic,
    hardware: await fingerprintHardware(options.threads, info),
    software: {jslMed: options.jslMedVersion, nodeLlamaCpp: info.nodeLlamaCppVersion, llamaCpp: info.llamaCpp, node: process.version},
    seed: options.seed,
  }
}
