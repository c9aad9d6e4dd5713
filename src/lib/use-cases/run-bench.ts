import {randomUUID} from 'node:crypto'

import {
  createEngine as createDefaultEngine,
  openBenchModel as openDefaultBenchModel,
  type BenchModel,
  type Engine,
  type EngineLogger,
  type EngineOptions,
  type GpuChoice,
  type LoraAdapter,
  type VisionEngine,
  type VisionEngineOptions,
} from '../engine/index.js'
import {UsageError} from '../errors/index.js'
import {
  ACCURACY_TASKS,
  buildRecordBase,
  identifyFile,
  loadChoiceItems,
  loadNerCorpus,
  MEDICAL_GROUP,
  microAverage,
  NER_TASKS,
  runNer,
  scoreItems,
  type AccuracyRecord,
  type AccuracyTaskName,
  type BenchModelSpec,
  type BenchRecord,
  type BenchRecordBase,
  type BenchTaskName,
  type ChoiceItem,
  type NerRecord,
  type NerTaskName,
  type NerCorpus,
  type ScoreItemsOptions,
  type ScoringMode,
  type TaskAccuracy,
} from '../bench/index.js'
import {measureFreeCores, readCpuLimits, startBusyCores, threadCeiling, type BusyCores} from '../cpu/index.js'
import {benchDeid, loadDeidCorpus} from './deid/bench.js'
import {benchVqaRad, loadVqaCorpus} from './vqa/bench.js'
import {loadQualityInput, measureQualityRecord, prepareQualityReference, type QualityReference} from './quality/bench.js'
import {benchSpeed, type MeasureSpeedRecordOptions} from './bench-speed.js'

/** Options of {@link runBench}. Defaults are llama-bench's for speed and lm-evaluation-harness's for accuracy. */
export interface RunBenchOptions {
  models: BenchModelSpec[]
  tasks: BenchTaskName[]
  /**
   * CPU threads for every model (the caller checks it against the core count). Default: per model, the speed tests
   * run at what the cores free just before it loads allow (`chooseThreads`); the rest at the physical cores.
   */
  threads?: number
  /** llama-bench to run at the start of every speed round, on the same model and threads (a baseline at the same load). */
  llamaBench?: string
  /** A benchmarking aid: this many busy child processes keep cores busy while the models are measured; default 0. */
  busyCores?: number
  /** Default `auto`. */
  gpu?: GpuChoice
  /** Timed repetitions of pp and tg (llama-bench `-r`); default 5. */
  repetitions?: number
  /** Untimed warm-up run before the speed tests; default true. */
  warmup?: boolean
  /** Default 512 (`pp512`). */
  promptTokens?: number
  /** Default 128 (`tg128`). */
  generateTokens?: number
  /** Context depths of the speed tests (llama-bench `-d`), a record each; default `[0]` (the plain pp/tg record). */
  depths?: readonly number[]
  /** What `quality` compares every other model with (an F16/q16 of the same weights); required by that task. */
  reference?: BenchModelSpec
  /** The text `quality` runs over; default the built-in clinical notes. */
  qualityText?: string
  /** Seed of random prompt tokens and of sampling; default 1. */
  seed?: number
  /** Folder laid out like data/bench; required by accuracy and NER tasks. */
  dataDir?: string
  /** First N questions per task (per MMLU subject) or N documents per NER corpus; default all. */
  limit?: number
  /** Default `loglik`. */
  scoring?: ScoringMode
  /**
   * Few-shot counts, each scored in this run (e.g. `[0, 3]`): MMLU takes its dev rows, `ner` BC5CDR's dev split, the
   * other tasks the head of their file, which is then not scored for any count (see loadChoiceItems). Default `[0]`.
   */
  shots?: number | readonly number[]
  /**
   * LoRA adapters: every model is benchmarked as it is, then again with these applied (records carry their sha256),
   * so that a run compares the model, few-shot prompts and the adapter. Default none.
   */
  lora?: readonly LoraAdapter[]
  /** Context size for accuracy and NER; default: the model's, at most 4096. */
  contextSize?: number
  /** The vision projector of `vqa-rad`; default the mmproj*.gguf next to each model. */
  mmproj?: string
  /** Generated tokens per question (`generate`, default 16; `vqa-rad`, default 32) or per document (NER, default 512). */
  maxTokens?: number
  /** Where file digests are cached (see identifyFile). */
  cacheDir?: string
  /** jsl-med's version, for the records. */
  jslMedVersion: string
  /** Shared by the records of this run; default a random UUID. */
  runId?: string
  verbose?: boolean
  signal?: AbortSignal
  /** Diagnostics (stderr). */
  logger?: EngineLogger
  /** Short progress text (a spinner on stderr). */
  onProgress?: (text: string) => void
  /** Receives each record as soon as it is complete (write it out: a long run keeps its finished lines). */
  onRecord: (record: BenchRecord) => Promise<void> | void
  /** Test seams: how models and chat engines are loaded and llama-bench runs; default the engine's and bench's. */
  openBenchModel?: (options: Parameters<typeof openDefaultBenchModel>[0]) => Promise<BenchModel>
  createEngine?: (options: EngineOptions) => Promise<Engine>
  createVisionEngine?: (options: VisionEngineOptions) => Promise<VisionEngine>
  runLlamaBench?: MeasureSpeedRecordOptions['runLlamaBench']
}

const isAccuracyTask = (task: BenchTaskName): task is AccuracyTaskName => (ACCURACY_TASKS as readonly string[]).includes(task)
const isNerTask = (task: BenchTaskName): task is NerTaskName => (NER_TASKS as readonly string[]).includes(task)

/**
 * Benchmarks each model on each task and hands every result record to `onRecord`: one per (model, quant, task),
 * plus a micro-averaged `medical` record when more than one accuracy task ran. Datasets are read (and checked)
 * before any model is loaded. Per model, one load serves speed and `loglik` scoring; `generate` scoring and NER
 * load a chat engine afterwards, so two copies of a model are never in memory at once.
 */
export async function runBench(options: RunBenchOptions): Promise<BenchRecord[]> {
  const logger = options.logger ?? (() => {})
  const progress = options.onProgress ?? (() => {})
  const scoring = options.scoring ?? 'loglik'
  const seed = options.seed ?? 1
  const runId = options.runId ?? randomUUID()
  const accuracyTasks = options.tasks.filter(isAccuracyTask)
  const nerTasks = options.tasks.filter(isNerTask)
  const deidTasks = options.tasks.filter((task) => task === 'deid')
  const dataTasks = [...accuracyTasks, ...nerTasks, ...deidTasks, ...options.tasks.filter((task) => task === 'vqa-rad')]
  if (options.models.length === 0) throw new UsageError('no model to benchmark', {hint: 'Pass --model PATH or --synthetic 0.5b.'}, 'E_NO_MODEL')
  if (dataTasks.length > 0 && !options.dataDir) {
    throw new UsageError(`tasks ${dataTasks.join(', ')} need datasets`, {
      hint: 'Pass --data-dir DIR (a folder laid out like data/bench, original file names), or fetch them first (fetchDatasets; the bench command does it).',
    }, 'E_NO_DATA')
  }

  const shotCounts = [...new Set(typeof options.shots === 'number' ? [options.shots] : (options.shots ?? [0]))].sort((a, b) => a - b)
  const heldOut = Math.max(...shotCounts)
  const questions = new Map<string, {items: ChoiceItem[]; files: string[]}>()
  const corpora = new Map<string, NerCorpus>()
  for (const shots of shotCounts) {
    for (const task of accuracyTasks) {
      progress(`reading ${task}`)
      questions.set(`${task} ${shots}`, await loadChoiceItems(task, options.dataDir!, {limit: options.limit, shots, heldOut}))
    }

    for (const task of nerTasks) {
      progress(`reading ${task}`)
      corpora.set(`${task} ${shots}`, await loadNerCorpus(task, options.dataDir!, {limit: options.limit, shots, heldOut}))
    }
  }

  const deidCorpus = deidTasks.length > 0 ? await loadDeidCorpus(options.dataDir!, {limit: options.limit, seed: options.seed}) : undefined
  const vqaCorpus = options.tasks.includes('vqa-rad') ? await loadVqaCorpus(options.dataDir!, {limit: options.limit, modelPaths: options.models.map(({path}) => path), mmproj: options.mmproj}) : undefined
  const qualityText = options.tasks.includes('quality') ? await loadQualityInput(options.reference, options.qualityText) : undefined
  const openModel = options.openBenchModel ?? openDefaultBenchModel
  const createEngine = options.createEngine ?? createDefaultEngine
  const records: BenchRecord[] = []
  const emit = async (record: BenchRecord): Promise<void> => {
    records.push(record)
    await options.onRecord(record)
  }

  const cpu = await readCpuLimits()
  const loadThreads = options.threads ?? threadCeiling(cpu)
  let busy: BusyCores | undefined
  let reference: QualityReference | undefined
  try {
    const {gpu, contextSize, verbose, signal, cacheDir} = options
    const openReference = async (modelPath: string): Promise<BenchModel> => openModel({modelPath, threads: loadThreads, gpu, contextSize, logger, verbose, signal})
    if (qualityText) reference = await prepareQualityReference({spec: options.reference!, text: qualityText, openModel: openReference, cacheDir, signal, onProgress: progress})

    if (options.busyCores) progress(`starting ${options.busyCores} busy ${options.busyCores === 1 ? 'core' : 'cores'}`)
    busy = options.busyCores ? await startBusyCores(options.busyCores) : undefined
    const lora = options.lora?.length ? options.lora : undefined
    for (const spec of options.models) {
      await benchModel(spec)
      if (lora) await benchModel(spec, lora)
    }
  } finally {
    await busy?.stop()
    await reference?.dispose()
  }

  return records

  async function benchModel(spec: BenchModelSpec, lora?: readonly LoraAdapter[]): Promise<void> {
    const label = `${spec.synthetic ? `${spec.id} ${spec.quant}` : spec.id}${lora ? ' + LoRA' : ''}`
    progress(`${label}: hashing`)
    const identity = await identifyFile(spec.path, options.cacheDir)
    const loraIdentities = lora && (await Promise.all(lora.map(async ({path, scale}) => ({path, scale: scale ?? 1, sha256: (await identifyFile(path, options.cacheDir)).sha256}))))
    // Measured before loading, so that the load's own work does not count as another process's.
    const freeCores = options.threads === undefined && options.tasks.includes('speed') ? await measureFreeCores(cpu.physicalCores) : undefined
    progress(`${label}: loading`)
    const model = await openModel({
      modelPath: spec.path,
      threads: loadThreads,
      gpu: options.gpu,
      contextSize: options.contextSize,
      lora,
      logger,
      verbose: options.verbose,
      signal: options.signal,
    })
    let base: Omit<BenchRecordBase, 'durationMs' | 'timestamp'>
    let accuracies: Array<{task: AccuracyTaskName; accuracy: TaskAccuracy; durationMs: number}> = []
    // The medical group pools the questions of the tasks just scored (lm-eval micro-averages groups).
    const emitGroup = async (shots: number): Promise<void> => {
      if (accuracies.length < 2) return
      const sum = (pick: (part: (typeof accuracies)[number]) => number): number => accuracies.reduce((total, part) => total + pick(part), 0)
      const record = accuracyRecord({...stamp(base, performance.now()), durationMs: sum((part) => part.durationMs)}, MEDICAL_GROUP, {
        ...microAverage(accuracies.map(({accuracy}) => accuracy)),
        truncated: sum((part) => part.accuracy.truncated),
        unanswered: sum((part) => part.accuracy.unanswered),
      }, options, scoring, shots)
      record.tasks = accuracies.map(({task}) => task)
      await emit(record)
    }

    // Every accuracy task, then the group record; the scorer is the bench model (loglik) or a chat engine (generate).
    const scoreAccuracyTasks = async (scorer: Pick<ScoreItemsOptions, 'engine' | 'maxTokens' | 'mode' | 'scorer' | 'seed'>): Promise<void> => {
      for (const shots of shotCounts) {
        accuracies = []
        for (const task of accuracyTasks) {
          const {items, files} = questions.get(`${task} ${shots}`)!
          const started = performance.now()
          const {accuracy} = await scoreItems(items, {...scorer, signal: options.signal, onItem: (done, total) => progress(`${label}: ${task} ${shotName(shots)}${done}/${total}`)})
          const record = accuracyRecord(stamp(base, started), task, accuracy, options, scoring, shots, files)
          accuracies.push({task, accuracy, durationMs: record.durationMs})
          await emit(record)
        }

        await emitGroup(shots)
      }
    }

    try {
      base = await buildRecordBase({spec, identity, info: model.info, jslMedVersion: options.jslMedVersion, runId, seed, threads: loadThreads, lora: loraIdentities})
      if (options.tasks.includes('speed')) {
        const {promptTokens, generateTokens, repetitions, warmup, llamaBench, busyCores, depths, signal, runLlamaBench, threads: forcedThreads} = options
        const speed = {promptTokens, generateTokens, repetitions, warmup, llamaBench, busyCores, depths, signal, runLlamaBench, seed, forcedThreads, model, base, cpu, freeCores}
        for (const record of await benchSpeed({...speed, onStep: (step) => progress(`${label}: ${step}`), logger: (text) => logger('debug', `bench ${label}: ${text}`)})) await emit(record)
      }

      // A LoRA run is not the quantization the reference stands for; the reference is not compared with itself.
      if (reference && !lora && spec.path !== reference.path) {
        await emit(await measureQualityRecord({model, reference, base, signal: options.signal, onProgress: (text) => progress(`${label}: ${text}`)}))
      }

      if (scoring === 'loglik') await scoreAccuracyTasks({mode: 'loglik', scorer: model})
    } finally {
      await model.dispose()
    }

    if ((scoring === 'generate' && accuracyTasks.length > 0) || nerTasks.length > 0 || deidCorpus) {
      progress(`${label}: loading for generation`)
      const engine = await createEngine({
        kind: 'llama',
        modelPath: spec.path,
        gpu: options.gpu,
        threads: options.threads,
        contextSize: options.contextSize,
        lora,
        sequences: 1,
        logger,
        verbose: options.verbose,
        signal: options.signal,
      })
      try {
        if (scoring === 'generate') await scoreAccuracyTasks({mode: 'generate', engine, maxTokens: options.maxTokens ?? 16, seed})

        for (const shots of shotCounts) {
          for (const task of nerTasks) {
            const {documents, file, shotPool, shotFile} = corpora.get(`${task} ${shots}`)!
            const started = performance.now()
            const ner = await runNer(documents, {
              engine,
              shots: shotPool,
              maxTokens: options.maxTokens ?? 512,
              seed,
              signal: options.signal,
              onItem: (done, total) => progress(`${label}: ${task} ${shotName(shots)}${done}/${total}`),
              onDocumentError: (pmid, error) => logger('debug', `${task} PMID ${pmid}: [${error.code}] ${error.message}`),
            })
            const settings = {limit: options.limit ?? null, maxTokens: options.maxTokens ?? 512, shots}
            const files = shotFile && shotFile !== file ? [file, shotFile] : [file]
            await emit({...stamp(base, started), kind: 'ner', task, settings, ner, files} satisfies NerRecord)
          }
        }

        if (deidCorpus) {
          const onItem = (done: number, total: number): void => progress(`${label}: deid ${done}/${total}`)
          const onDocumentError = (index: number, error: {code: string}): void => logger('debug', `deid document ${index + 1}: [${error.code}]`)
          await emit(await benchDeid(deidCorpus, {engine, base: stamp(base, performance.now()), maxTokens: options.maxTokens, limit: options.limit, seed, signal: options.signal, onItem, onDocumentError}))
        }
      } finally {
        await engine.dispose()
      }
    }

    // The vision engine takes no adapter: with --lora, vqa-rad runs for the model as it is only.
    if (vqaCorpus && !lora) {
      progress(`${label}: loading the vision pair`)
      const onItem = (done: number, total: number): void => progress(`${label}: vqa-rad ${done}/${total}`)
      const onItemError = (qid: string, error: {code: string}): void => logger('debug', `vqa-rad qid ${qid}: [${error.code}]`)
      await emit(await benchVqaRad(vqaCorpus, {...options, modelPath: spec.path, base: stamp(base, performance.now()), seed, logger, onItem, onItemError}))
    }
  }
}

function stamp(base: Omit<BenchRecordBase, 'durationMs' | 'timestamp'>, started: number): BenchRecordBase {
  return {...base, timestamp: new Date().toISOString(), durationMs: Math.round(performance.now() - started)}
}

const shotName = (shots: number): string => (shots > 0 ? `${shots}-shot ` : '')

function accuracyRecord(
  base: BenchRecordBase,
  task: string,
  accuracy: TaskAccuracy,
  options: RunBenchOptions,
  scoring: ScoringMode,
  shots: number,
  files?: string[],
): AccuracyRecord {
  return {
    ...base,
    kind: 'accuracy',
    task,
    settings: {
      scoring,
      limit: options.limit ?? null,
      shots,
      contextSize: options.contextSize ?? null,
      maxTokens: scoring === 'generate' ? (options.maxTokens ?? 16) : null,
    },
    accuracy,
    ...(files ? {files} : {}),
  }
}
