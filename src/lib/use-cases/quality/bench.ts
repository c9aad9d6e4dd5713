import {mkdtemp, open, rm, type FileHandle} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {identifyFile, loadQualityText, QualityAccumulator, type BenchModelSpec, type BenchRecordBase, type QualityRecord, type QualityText} from '../../bench/index.js'
import type {BenchModel} from '../../engine/index.js'
import {EngineError, UsageError} from '../../errors/index.js'

/**
 * The reference side of `bench --tasks quality`: the text's token ids (the reference model's tokenization) and the
 * reference's next-token logits at every position, kept in a temporary file (positions × vocabulary float32s, as
 * llama-perplexity's `--kl-divergence-base` file), so that the models compared with it load one at a time.
 */
export interface QualityReference {
  /** What the records say the distributions were compared against. */
  identity: QualityRecord['quality']['reference']
  /** The reference model file (a model at this path is not compared with itself). */
  path: string
  /** `builtin` or the `--text` file's base name. */
  text: string
  /** The texts compared over. */
  texts: string[]
  /** Token ids of each text, without BOS. */
  tokens: number[][]
  /** Logits per position (the reference's vocabulary). */
  vocabSize: number
  /** Positions stored. */
  positions: number
  /** Reads the logits of one position into `into` (of length `vocabSize`). */
  read(position: number, into: Float32Array): Promise<void>
  /** Deletes the temporary file; idempotent. */
  dispose(): Promise<void>
}

/** The text of `quality` (`file`, or the built-in notes), read before any model loads; a UsageError without a reference. */
export async function loadQualityInput(reference: BenchModelSpec | undefined, file?: string): Promise<QualityText> {
  if (!reference) {
    throw new UsageError('--tasks quality needs a reference model', {hint: 'Pass --reference PATH (an F16 or Q8_0 GGUF of the same model), or use --synthetic, whose reference is its q16.'}, 'E_NO_REFERENCE')
  }

  return loadQualityText(file)
}

/** Options of {@link prepareQualityReference}. */
export interface PrepareQualityReferenceOptions {
  spec: BenchModelSpec
  text: QualityText
  /** Loads the reference (the caller's openBenchModel with its threads, GPU and context size). */
  openModel: (modelPath: string) => Promise<BenchModel>
  /** Where file digests are cached (see identifyFile). */
  cacheDir?: string
  signal?: AbortSignal
  onProgress?: (text: string) => void
}

const PROGRESS_EVERY = 32

/** Loads the reference model, stores its next-token logits over the text, and frees it again. */
export async function prepareQualityReference(options: PrepareQualityReferenceOptions): Promise<QualityReference> {
  const {spec, signal} = options
  const progress = options.onProgress ?? (() => {})
  progress('quality reference: hashing')
  const {sha256} = await identifyFile(spec.path, options.cacheDir)
  const dir = await mkdtemp(join(tmpdir(), 'jsl-med-quality-'))
  let handle: FileHandle | undefined
  try {
    handle = await open(join(dir, 'reference.f32'), 'w+')
    progress('quality reference: loading')
    const model = await options.openModel(spec.path)
    let vocabSize = 0
    let positions = 0
    let tokens: number[][]
    let fileType: string
    try {
      fileType = model.info.fileType
      tokens = options.text.texts.map((text) => model.tokenize(text))
      const writer = handle
      for (const textTokens of tokens) {
        await model.nextTokenLogits(textTokens, {
          signal,
          async onLogits(_position, logits) {
            vocabSize ||= logits.length
            await writer.write(new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength))
            if (++positions % PROGRESS_EVERY === 0) progress(`quality reference: ${positions} positions`)
          },
        })
      }
    } finally {
      await model.dispose()
    }

    if (positions === 0) throw new UsageError('the quality text gives no next-token position to compare', {hint: 'Pass a longer --text.'}, 'E_EMPTY_TEXT')
    const file = handle
    const bytes = vocabSize * Float32Array.BYTES_PER_ELEMENT
    let disposed = false
    return {
      identity: {id: spec.id, sha256, fileType},
      path: spec.path,
      text: options.text.name,
      texts: [...options.text.texts],
      tokens,
      vocabSize,
      positions,
      async read(position, into) {
        const {bytesRead} = await file.read(new Uint8Array(into.buffer, into.byteOffset, bytes), 0, bytes, position * bytes)
        if (bytesRead !== bytes) throw new Error(`the reference logits of position ${position} are missing`)
      },
      async dispose() {
        if (disposed) return
        disposed = true
        await file.close()
        await rm(dir, {recursive: true, force: true})
      },
    }
  } catch (error) {
    await handle?.close()
    await rm(dir, {recursive: true, force: true})
    throw error
  }
}

/** Options of {@link measureQualityRecord}. */
export interface MeasureQualityRecordOptions {
  model: BenchModel
  reference: QualityReference
  /** The record's shared fields. */
  base: Omit<BenchRecordBase, 'durationMs' | 'timestamp'>
  signal?: AbortSignal
  onProgress?: (text: string) => void
}

/**
 * Compares the loaded model's next-token distributions with the reference's at every position of the same token ids:
 * mean KL(reference ‖ model) and top-1 agreement, each with N and a 95% interval.
 */
export async function measureQualityRecord(options: MeasureQualityRecordOptions): Promise<QualityRecord> {
  const {model, reference, signal} = options
  const progress = options.onProgress ?? (() => {})
  const started = performance.now()
  // The same ids go into both models, so they must read the text the same way (the same model family).
  for (const [index, text] of reference.texts.entries()) {
    const own = model.tokenize(text)
    const theirs = reference.tokens[index]
    if (own.length !== theirs.length || own.some((token, at) => token !== theirs[at])) {
      throw new UsageError('the model tokenizes the text differently from the reference', {hint: 'Compare quantizations of the same model: pass an F16 or Q8_0 of it as --reference.'}, 'E_VOCAB')
    }
  }

  const accumulator = new QualityAccumulator()
  const wanted = new Float32Array(reference.vocabSize)
  let position = 0
  for (const tokens of reference.tokens) {
    await model.nextTokenLogits(tokens, {
      signal,
      async onLogits(_position, logits) {
        if (logits.length !== reference.vocabSize) throw vocabularyError(logits.length, reference.vocabSize)
        if (position >= reference.positions) throw new EngineError('more positions than the reference has', {hint: 'Report this as a bug.'}, 'E_QUALITY')
        await reference.read(position++, wanted)
        accumulator.add(wanted, logits)
        if (position % PROGRESS_EVERY === 0) progress(`quality ${position}/${reference.positions}`)
      },
    })
  }

  // Both ran the same ids through the same windowing; a different count means a different BOS setting.
  if (position !== reference.positions) throw new UsageError(`the model predicts ${position} positions of the text, the reference ${reference.positions}`, {hint: 'Compare quantizations of the same model: the reference and the model must add BOS alike.'}, 'E_VOCAB')
  const figures = accumulator.figures()
  return {
    ...options.base,
    timestamp: new Date().toISOString(),
    durationMs: Math.round(performance.now() - started),
    kind: 'quality',
    task: 'quality',
    quality: {reference: reference.identity, text: reference.text, positions: figures.positions, kld: figures.kld, top1: figures.top1},
  }
}

function vocabularyError(model: number, reference: number): UsageError {
  return new UsageError(`the model has ${model} tokens, the reference ${reference}`, {hint: 'Compare quantizations of the same model: pass an F16 or Q8_0 of it as --reference.'}, 'E_VOCAB')
}
