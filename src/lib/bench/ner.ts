import type {ChatExample, Engine, JsonSchema} from '../engine/index.js'
import {AppError, EngineError, InputError, InterruptedError} from '../errors/index.js'
import type {PubTatorDocument} from './datasets/importers.js'
import {precisionRecallF1} from './stats.js'

/** A labelled character span `[start, end)` of a document. */
export interface LabeledSpan {
  start: number
  end: number
  label: string
}

/** Counts and precision / recall / F1 of one matching criterion. */
export interface PrfFigures {
  tp: number
  fp: number
  fn: number
  precision: number
  recall: number
  f1: number
}

/** NER figures of a corpus: strict (same span and label) and overlap (same label, overlapping spans). */
export interface NerFigures {
  documents: number
  goldMentions: number
  predictedMentions: number
  /** Documents the model produced no usable output for (too long, invalid JSON): their gold mentions count as missed. */
  failedDocuments: number
  labels: string[]
  strict: PrfFigures
  overlap: PrfFigures
}

/**
 * Maps a PubTator entity type to the label the benchmark scores: BC5CDR's `Chemical`/`Disease` stay, NCBI-disease's
 * `SpecificDisease`, `DiseaseClass`, `Modifier` and `CompositeMention` are all `Disease`. Unknown types give undefined.
 */
export function normalizeNerLabel(type: string): string | undefined {
  if (type === 'Chemical') return 'Chemical'
  if (['Disease', 'SpecificDisease', 'DiseaseClass', 'Modifier', 'CompositeMention'].includes(type)) return 'Disease'
  return undefined
}

/** The gold spans of a document, labels normalized, unknown types dropped. */
export function goldSpans(document: PubTatorDocument): LabeledSpan[] {
  const spans: LabeledSpan[] = []
  for (const mention of document.mentions) {
    const label = normalizeNerLabel(mention.type)
    if (label) spans.push({start: mention.start, end: mention.end, label})
  }

  return spans
}

const spanKey = (span: LabeledSpan): string => `${span.start}:${span.end}:${span.label}`

function figures(tp: number, fp: number, fn: number): PrfFigures {
  return {tp, fp, fn, ...precisionRecallF1(tp, fp, fn)}
}

/**
 * Scores predicted against gold spans per document and sums over the corpus (micro P/R/F1). Strict: exact start,
 * end and label. Overlap: same label and intersecting ranges, each gold and predicted span matched at most once.
 * Duplicate predictions of the same span count once.
 */
export function scoreSpans(gold: readonly LabeledSpan[][], predicted: readonly LabeledSpan[][]): {strict: PrfFigures; overlap: PrfFigures} {
  if (gold.length !== predicted.length) throw new RangeError('gold and predicted must have one entry per document')
  let strictTp = 0
  let overlapTp = 0
  let goldCount = 0
  let predictedCount = 0
  for (const [index, goldSpansOfDocument] of gold.entries()) {
    const predictions = [...new Map(predicted[index].map((span) => [spanKey(span), span])).values()]
    goldCount += goldSpansOfDocument.length
    predictedCount += predictions.length
    const goldKeys = new Map<string, number>()
    for (const span of goldSpansOfDocument) goldKeys.set(spanKey(span), (goldKeys.get(spanKey(span)) ?? 0) + 1)
    for (const span of predictions) {
      const left = goldKeys.get(spanKey(span)) ?? 0
      if (left > 0) {
        strictTp++
        goldKeys.set(spanKey(span), left - 1)
      }
    }

    const used = new Set<number>()
    for (const span of predictions) {
      const match = goldSpansOfDocument.findIndex((g, i) => !used.has(i) && g.label === span.label && g.start < span.end && span.start < g.end)
      if (match >= 0) {
        used.add(match)
        overlapTp++
      }
    }
  }

  return {
    strict: figures(strictTp, predictedCount - strictTp, goldCount - strictTp),
    overlap: figures(overlapTp, predictedCount - overlapTp, goldCount - overlapTp),
  }
}

/**
 * Turns extracted `{text, label}` pairs into spans: every whole-word occurrence of each mention in the document
 * (the corpora annotate every occurrence). Mentions not found verbatim are dropped.
 */
export function locateMentions(text: string, entities: ReadonlyArray<{text: string; label: string}>): LabeledSpan[] {
  const spans: LabeledSpan[] = []
  const seen = new Set<string>()
  for (const entity of entities) {
    const mention = entity.text.trim()
    if (mention.length < 2 || seen.has(`${entity.label}\u0000${mention}`)) continue
    seen.add(`${entity.label}\u0000${mention}`)
    for (let at = text.indexOf(mention); at >= 0; at = text.indexOf(mention, at + 1)) {
      const before = text[at - 1]
      const after = text[at + mention.length]
      if ((before === undefined || !/\w/.test(before)) && (after === undefined || !/\w/.test(after))) {
        spans.push({start: at, end: at + mention.length, label: entity.label})
      }
    }
  }

  return spans
}

/** The JSON schema the model's extraction is constrained to (bounded, so random models terminate). */
export function nerSchema(labels: readonly string[]): JsonSchema {
  return {
    type: 'object',
    properties: {
      entities: {
        type: 'array',
        maxItems: 40,
        items: {type: 'object', properties: {text: {type: 'string', maxLength: 80}, label: {enum: [...labels]}}},
      },
    },
  } as JsonSchema
}

/**
 * Few-shot turns from solved documents: the document's text, and as the reply its gold mentions (labels normalized,
 * each distinct mention once, in text order, within the schema's bounds) as the extraction JSON.
 */
export function nerExamples(documents: readonly PubTatorDocument[], labels: readonly string[]): ChatExample[] {
  return documents.map((document) => {
    const seen = new Set<string>()
    const entities: Array<{text: string; label: string}> = []
    for (const span of goldSpans(document).sort((a, b) => a.start - b.start)) {
      const text = document.text.slice(span.start, span.end)
      const key = `${span.label}\u0000${text}`
      if (!labels.includes(span.label) || seen.has(key) || text.length > 80 || entities.length >= 40) continue
      seen.add(key)
      entities.push({text, label: span.label})
    }

    return {user: document.text, reply: JSON.stringify({entities})}
  })
}

/** Options of {@link runNer}. */
export interface RunNerOptions {
  engine: Engine
  /** Solved documents shown before each document as few-shot turns (see {@link nerExamples}); default none. */
  shots?: readonly PubTatorDocument[]
  /** Labels to extract; default: the labels present in the corpus. */
  labels?: string[]
  /** Generated tokens per document; default 512. */
  maxTokens?: number
  seed?: number
  signal?: AbortSignal
  onItem?: (done: number, total: number) => void
  /** Called when a document's extraction fails (its code only; never the text). */
  onDocumentError?: (pmid: string, error: AppError) => void
}

/**
 * Runs entity extraction over a PubTator corpus and scores it. The extraction is a small, schema-constrained
 * prompt of the bench itself (the seam where the `ner` task's own extractor can plug in).
 */
export async function runNer(documents: readonly PubTatorDocument[], options: RunNerOptions): Promise<NerFigures> {
  const gold = documents.map(goldSpans)
  const labels = options.labels ?? [...new Set(gold.flat().map((span) => span.label))].sort()
  const schema = nerSchema(labels.length > 0 ? labels : ['Disease'])
  const system = `Extract every ${labels.map((label) => label.toLowerCase()).join(' and ')} mention from the text. Copy each mention exactly as written. Reply with JSON.`
  const examples = options.shots?.length ? nerExamples(options.shots, labels) : undefined
  const predicted: LabeledSpan[][] = []
  let failed = 0
  for (const document of documents) {
    if (options.signal?.aborted) throw new InterruptedError()
    try {
      const request = {system, examples, user: document.text, maxTokens: options.maxTokens ?? 512, temperature: 0, seed: options.seed, schema, signal: options.signal}
      const generation = await options.engine.chat(request)
      const entities = ((generation.json as {entities?: Array<{text: string; label: string}>})?.entities ?? []).filter((entity) => labels.includes(entity.label))
      predicted.push(locateMentions(document.text, entities))
    } catch (error) {
      if (!(error instanceof InputError || error instanceof EngineError) || error.code === 'E_BACKEND') throw error
      failed++
      options.onDocumentError?.(document.pmid, error)
      predicted.push([])
    }

    options.onItem?.(predicted.length, documents.length)
  }

  const {strict, overlap} = scoreSpans(gold, predicted)
  return {
    documents: documents.length,
    goldMentions: gold.reduce((sum, spans) => sum + spans.length, 0),
    predictedMentions: strict.tp + strict.fp,
    failedDocuments: failed,
    labels,
    strict,
    overlap,
  }
}
