import {generateDeidCorpus, loadClinicalTexts, scoreDeid, type BenchRecordBase, type DeidDocument, type DeidRecord} from '../../bench/index.js'
import {loadFaker, randomKey, type PhiSpan} from '../../deid/index.js'
import type {Engine} from '../../engine/index.js'
import {AppError, EngineError, InputError, InterruptedError} from '../../errors/index.js'
import {createDeidTask} from '../../tasks/index.js'

/** Identifiers inserted per document of the deid corpus. */
export const DEID_PER_DOCUMENT = 8

/** The generated deid corpus and the files its texts came from. */
export interface DeidCorpus {
  documents: DeidDocument[]
  files: string[]
  seed: number
}

/**
 * Builds the `bench --tasks deid` corpus: the PHI-free dialogues of `dataDir` (see loadClinicalTexts; first `limit`)
 * with {@link DEID_PER_DOCUMENT} templated identifiers inserted into each (see generateDeidCorpus).
 */
export async function loadDeidCorpus(dataDir: string, options: {limit?: number; seed?: number} = {}): Promise<DeidCorpus> {
  const seed = options.seed ?? 1
  const {texts, files} = await loadClinicalTexts(dataDir, options.limit)
  return {documents: generateDeidCorpus(texts, await loadFaker(), {seed, perDocument: DEID_PER_DOCUMENT}), files, seed}
}

/** Options of {@link benchDeid}. */
export interface BenchDeidOptions {
  engine: Engine
  /** The record fields shared with the run's other records, stamped when this task started. */
  base: BenchRecordBase
  /** Generated tokens per model call; default 512. */
  maxTokens?: number
  limit?: number
  seed?: number
  signal?: AbortSignal
  onItem?: (done: number, total: number) => void
  /** A document the task failed on: its code only, never the text. */
  onDocumentError?: (index: number, error: AppError) => void
}

/**
 * Runs the `deid` task (rules and the model, mask mode) over the corpus and scores it per category (see scoreDeid).
 * A document that fails with an input or engine error counts as found nothing; other errors end the run.
 */
export async function benchDeid(corpus: DeidCorpus, options: BenchDeidOptions): Promise<DeidRecord> {
  const started = performance.now()
  const maxTokens = options.maxTokens ?? 512
  const task = createDeidTask({mode: 'mask', key: randomKey()})
  const predicted: Array<PhiSpan[] | undefined> = []
  for (const [index, document] of corpus.documents.entries()) {
    if (options.signal?.aborted) throw new InterruptedError()
    try {
      const result = await task.run(document.text, {engine: options.engine, settings: {maxTokens, temperature: 0, seed: options.seed}, signal: options.signal})
      predicted.push(result.spans)
    } catch (error) {
      if (!(error instanceof InputError || error instanceof EngineError) || error.code === 'E_BACKEND') throw error
      options.onDocumentError?.(index, error)
      predicted.push(undefined)
    }

    options.onItem?.(predicted.length, corpus.documents.length)
  }

  return {
    ...options.base,
    durationMs: Math.round(performance.now() - started),
    kind: 'deid',
    task: 'deid',
    settings: {limit: options.limit ?? null, maxTokens, perDocument: DEID_PER_DOCUMENT, corpusSeed: corpus.seed},
    deid: scoreDeid(corpus.documents, predicted),
    files: corpus.files,
  }
}
