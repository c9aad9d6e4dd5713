import {isAbsolute, join} from 'node:path'

import type {Engine, JsonSchema, VisionChatRequest, VisionGeneration} from '../../engine/index.js'
import {EngineError, InputError} from '../../errors/index.js'
import type {RecordSource} from '../../io/index.js'
import type {PreparedImage, PrepareImageOptions} from '../../images/index.js'
import type {Task, TaskSettings} from '../types.js'
import {ANSWER_SYSTEM_PROMPT, buildUserPrompt, DEFAULT_EXTRACT_QUESTION, EXTRACT_SYSTEM_PROMPT, labelsQuestion} from './prompt.js'
import {labelsSchema} from './schema.js'

export {ANSWER_SYSTEM_PROMPT, EXTRACT_SYSTEM_PROMPT} from './prompt.js'
export {labelsSchema, LABELS_LIMITS, parseLabelList, readSchemaFile} from './schema.js'

/** What `vlm` adds to a record: a text answer, the JSON answer of `--schema`, or the entities of `--labels`. */
export type VlmResult = {kind: 'entities'; entities: unknown} | {kind: 'json'; answer: unknown} | {kind: 'text'; answer: string}

/** Options of {@link createVlmTask}. */
export interface VlmTaskOptions {
  /** The question for records without one (the command's argument). */
  question?: string
  /** Record field holding the question; default `question`. A record's own question wins over `question`. */
  questionField?: string
  /** Constrains answers to JSON valid against this schema (`--schema`). */
  schema?: JsonSchema
  /** Extracts entities of these labels instead (`--labels`); exclusive with `schema`. */
  labels?: readonly string[]
  /** Directory that relative image paths are resolved against; default: the current directory. */
  imageDir?: string
  /** How images are prepared (size limit, DICOM frame). */
  image?: PrepareImageOptions
  /** Receives notes about an image (e.g. DICOM burned-in annotations); never patient data. */
  onImageWarning?: (message: string) => void
}

/** One image question for {@link askImage}. */
export interface ImageQuestion {
  /** An image file (PNG, JPEG, DICOM), or one prepared with `lib/vision`. */
  image: PreparedImage | string
  question: string
  /** Answer as JSON valid against this schema. */
  schema?: JsonSchema
  settings: TaskSettings
  signal?: AbortSignal
  /** Options for loading `image` when it is a path. */
  imageOptions?: PrepareImageOptions
}

/**
 * Asks a vision engine one question about one image and returns the answer: trimmed text, or the parsed JSON
 * with a schema. The building block of `vlm` and of image benchmarks (e.g. VQA-RAD). Throws an EngineError
 * (E_NO_VISION) if the engine ignored the image, as a text-only engine would.
 */
export async function askImage(engine: Engine, request: ImageQuestion): Promise<{answer: unknown; generation: VisionGeneration}> {
  const image = typeof request.image === 'string' ? await loadImageLazily(request.image, request.imageOptions) : request.image
  const chat: VisionChatRequest = {
    system: request.schema ? EXTRACT_SYSTEM_PROMPT : ANSWER_SYSTEM_PROMPT,
    user: buildUserPrompt(request.question, request.schema),
    images: [{data: image.png, mimeType: 'image/png'}],
    schema: request.schema,
    signal: request.signal,
    ...request.settings,
  }
  const generation = (await engine.chat(chat)) as Partial<VisionGeneration> & Awaited<ReturnType<Engine['chat']>>
  if (generation.images !== 1) {
    throw new EngineError('the engine did not take the image (a text-only engine?)', {hint: 'Run vlm with a vision model and its projector: --model PATH --mmproj PATH.'}, 'E_NO_VISION')
  }

  return {answer: request.schema ? generation.json : generation.text.trim(), generation: generation as VisionGeneration}
}

/**
 * `vlm`: answers a question about each record's image. The pipeline hands `run` the image path (the record's
 * image field, chosen with `--field`) and the whole record, whose question field wins over the default question.
 * Images are decoded and re-encoded as bare pixels first (see `lib/vision`), so no file metadata and no DICOM
 * attribute reaches the model, the output or the logs.
 */
export function createVlmTask(options: VlmTaskOptions = {}): Task<VlmResult> {
  const questionField = options.questionField ?? 'question'
  const schema = options.labels ? labelsSchema(options.labels) : options.schema
  const defaultQuestion = options.question ?? (options.labels ? labelsQuestion(options.labels) : schema ? DEFAULT_EXTRACT_QUESTION : undefined)
  const kind: VlmResult['kind'] = options.labels ? 'entities' : schema ? 'json' : 'text'
  return {
    name: 'vlm',
    outputField: kind === 'entities' ? 'entities' : 'answer',
    async run(imagePath, {engine, settings, signal, record}) {
      const own = record?.[questionField]
      if (own !== undefined && typeof own !== 'string') {
        throw new InputError(`field "${questionField}" is not a string`, {hint: 'Put the question in a string field.'}, 'E_FIELD_MISSING')
      }

      const question = own?.trim() ? own : defaultQuestion
      if (!question) {
        throw new InputError(`the record has no "${questionField}" field and no question was given`, {
          hint: `Give the question as the command's argument, or in each record's "${questionField}" field (--question-field).`,
        }, 'E_FIELD_MISSING')
      }

      if (imagePath.trim() === '') throw new InputError('the image field is empty', {hint: 'Give the path of a PNG, JPEG or DICOM file.'}, 'E_IMAGE_NOT_FOUND')
      const path = options.imageDir && !isAbsolute(imagePath) ? join(options.imageDir, imagePath) : imagePath
      const image = await loadImageLazily(path, options.image)
      for (const warning of image.warnings) options.onImageWarning?.(warning)
      const {answer} = await askImage(engine, {image, question, schema, settings, signal})
      if (kind === 'entities') return {kind, entities: (answer as {entities?: unknown}).entities ?? []}
      return kind === 'json' ? {kind, answer} : {kind, answer: answer as string}
    },
    toRecord: (result) => (result.kind === 'entities' ? {entities: result.entities} : {answer: result.answer}),
    renderText: (result) => (result.kind === 'text' ? result.answer : JSON.stringify(result.kind === 'entities' ? {entities: result.entities} : result.answer)),
  }
}

/** Options of {@link singleImageSource}. */
export interface SingleImageSourceOptions {
  /** Record field of the image path; default `image`. */
  imageField?: string
  /** Record field of the question; default `question`. */
  questionField?: string
  /** The question; absent when the task has a default (schema extraction). */
  question?: string
}

/**
 * The record source of `vlm --image FILE "question"`: one plain-text-style record, so that the answer is
 * printed as text (or the record with `--format ndjson`) and a failure exits with its own code.
 */
export function singleImageSource(imagePath: string, options: SingleImageSourceOptions = {}): RecordSource {
  const value: Record<string, unknown> = {[options.imageField ?? 'image']: imagePath}
  if (options.question !== undefined) value[options.questionField ?? 'question'] = options.question
  return {
    format: 'text',
    empty: false,
    records: (async function* () {
      yield {line: 1, value}
    })(),
  }
}

// The decoders (pngjs, jpeg-js, dicom-parser) load on the first image, so that text tasks sharing this module's
// index start without them.
async function loadImageLazily(path: string, options?: PrepareImageOptions): Promise<PreparedImage> {
  const {loadImage} = await import('../../images/index.js')
  return loadImage(path, options)
}
