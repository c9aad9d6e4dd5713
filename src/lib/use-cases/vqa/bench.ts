import {identifyFile, loadVqaRad, scoreVqaAnswer, summarizeVqa, vqaPrompt, type BenchRecordBase, type VqaAnswerScore, type VqaCorpus, type VqaRecord} from '../../bench/index.js'
import {createVisionEngine as createDefaultVisionEngine, type EngineLogger, type GpuChoice, type VisionEngine, type VisionEngineOptions} from '../../engine/index.js'
import {AppError, EngineError, InputError, InterruptedError, UsageError} from '../../errors/index.js'
import {loadImage} from '../../images/index.js'
import {resolveProjector} from '../resolve-projector.js'

/** Generated tokens per VQA-RAD answer unless --max-tokens says otherwise: its answers are a few words. */
export const VQA_MAX_TOKENS = 32

/**
 * Reads VQA-RAD's test questions from `dataDir` (see loadVqaRad) and checks that each of `modelPaths` has a vision
 * projector (`mmproj`, or one next to it), so that a run fails before any model loads.
 */
export async function loadVqaCorpus(dataDir: string, options: {limit?: number; modelPaths?: readonly string[]; mmproj?: string} = {}): Promise<VqaCorpus> {
  const corpus = await loadVqaRad(dataDir, options)
  for (const modelPath of options.modelPaths ?? []) await projectorFor(modelPath, options.mmproj)
  return corpus
}

async function projectorFor(modelPath: string, given?: string): Promise<string> {
  const mmprojPath = await resolveProjector({given, modelPath})
  if (!mmprojPath) {
    throw new UsageError('vqa-rad needs a vision model: no projector (mmproj) given or found next to the model', {hint: 'Pass --mmproj PATH (the mmproj-*.gguf published with the model).'}, 'E_NO_PROJECTOR')
  }

  return mmprojPath
}

/** Options of {@link benchVqaRad}. */
export interface BenchVqaOptions {
  /** The language model (GGUF) of the vision pair. */
  modelPath: string
  /** Its vision projector; default the one next to the model (see resolveProjector). */
  mmproj?: string
  /** The record fields shared with the run's other records, stamped when this task started. */
  base: BenchRecordBase
  threads?: number
  gpu?: GpuChoice
  contextSize?: number
  /** Default {@link VQA_MAX_TOKENS}. */
  maxTokens?: number
  limit?: number
  seed?: number
  /** Where the projector's digest is cached (see identifyFile). */
  cacheDir?: string
  logger?: EngineLogger
  verbose?: boolean
  signal?: AbortSignal
  onItem?: (done: number, total: number) => void
  /** A question whose answer failed: its qid and the error code only, never the question. */
  onItemError?: (qid: string, error: AppError) => void
  /** Test seam; default the engine's. */
  createVisionEngine?: (options: VisionEngineOptions) => Promise<VisionEngine>
}

/**
 * `bench --tasks vqa-rad`: loads the vision pair, asks every question greedily with MultiMedEval's prompt (no
 * system prompt; see vqaPrompt) and scores the answers (see scoreVqaAnswer). A question whose image cannot be read
 * or whose answer fails with an engine error is scored as an empty answer and counted in `failed`; an engine that
 * ignores the image ends the run.
 */
export async function benchVqaRad(corpus: VqaCorpus, options: BenchVqaOptions): Promise<VqaRecord> {
  const started = performance.now()
  const maxTokens = options.maxTokens ?? VQA_MAX_TOKENS
  const mmprojPath = await projectorFor(options.modelPath, options.mmproj)
  const projector = await identifyFile(mmprojPath, options.cacheDir)
  const engine = await (options.createVisionEngine ?? createDefaultVisionEngine)({
    kind: 'llama',
    modelPath: options.modelPath,
    mmprojPath,
    threads: options.threads,
    gpu: options.gpu,
    contextSize: options.contextSize,
    sequences: 1,
    logger: options.logger,
    verbose: options.verbose,
    signal: options.signal,
  })
  const scores: VqaAnswerScore[] = []
  let failed = 0
  try {
    for (const item of corpus.items) {
      if (options.signal?.aborted) throw new InterruptedError()
      let answer = ''
      try {
        const image = await loadImage(item.imagePath)
        const generation = await engine.chat({
          system: '',
          user: vqaPrompt(item),
          images: [{data: image.png, mimeType: 'image/png'}],
          maxTokens,
          temperature: 0,
          seed: options.seed,
          signal: options.signal,
        })
        if (generation.images !== 1) throw new EngineError('the engine did not take the image', {hint: 'Benchmark vqa-rad with a vision model and its projector: --model PATH --mmproj PATH.'}, 'E_NO_VISION')
        answer = generation.text.trim()
      } catch (error) {
        if (!(error instanceof InputError || error instanceof EngineError) || error.code === 'E_BACKEND' || error.code === 'E_NO_VISION') throw error
        options.onItemError?.(item.qid, error)
        failed++
      }

      scores.push(scoreVqaAnswer(answer, item.answer))
      options.onItem?.(scores.length, corpus.items.length)
    }
  } finally {
    await engine.dispose()
  }

  return {
    ...options.base,
    durationMs: Math.round(performance.now() - started),
    kind: 'vqa',
    task: 'vqa-rad',
    settings: {limit: options.limit ?? null, maxTokens, mmproj: {path: mmprojPath, sha256: projector.sha256}},
    vqa: {...summarizeVqa(scores, failed), missingImages: corpus.missingImages},
    files: corpus.files,
  }
}
