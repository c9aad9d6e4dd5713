import {
  createRuleDetector,
  dayOffset,
  isCommonWord,
  isPhiCategory,
  loadFaker,
  replaceSpans,
  resolvePhi,
  type DeidKey,
  type DeidMode,
  type DeidSpan,
  type IdPattern,
  type PhiSpan,
  type Replacement,
  type RuleDetector,
} from '../../deid/index.js'
import {InputError} from '../../errors/index.js'
import {asObject, chatJsonPerChunk, objectsIn} from '../structured.js'
import {createSpanAligner} from '../text/spans.js'
import type {Task, TaskContext} from '../types.js'
import {buildDeidSchema, buildDeidSystemPrompt} from './prompt.js'

export {buildDeidSchema, buildDeidSystemPrompt, MODEL_LIMITS} from './prompt.js'

/** The result of `deid` for one text. */
export interface DeidResult {
  deidText: string
  /** The PHI found, sorted and disjoint: offsets into the source, and into `deidText`. */
  spans: DeidSpan[]
  /** Model proposals not found in the text (or common words) and left out. */
  dropped: number
  /** The model stopped at --max-tokens, so its list may be incomplete (the rules' never is). */
  truncated: boolean
}

/** The replacements of one record, for the re-identification map (`--map`): the only place originals go. */
export interface MapEntry {
  ref: {line: number; id?: number | string}
  /** The `--patient-field` value, when given. */
  patient?: string
  replacements: Replacement[]
}

/** Options of {@link createDeidTask}. */
export interface DeidTaskOptions {
  mode: DeidMode
  /** The key of surrogates, date offsets and hashes. */
  key: DeidKey
  /** Input field holding the text: left out of the output unless `keepOriginal`. Default `text`. */
  field?: string
  /** Keep the input text in the output record; default false. */
  keepOriginal?: boolean
  /** Write the `phi` spans into the record; default true. */
  spans?: boolean
  /**
   * Input field naming the patient: surrogates and date offsets are per patient. Default: none, and the whole run is
   * one patient (every record gets the same offset, the same surrogate for the same original).
   */
  patientField?: string
  /** Identifier patterns in addition to the built-in ones. */
  idPatterns?: readonly IdPattern[]
  /** Ask the model for names, places, organisations and other identifiers; default true (false: rules only). */
  useModel?: boolean
  /** Receives each record's replacements, originals included (write them to the map file only). */
  onReplacements?: (entry: MapEntry) => void
}

/**
 * Creates the `deid` task. Two detectors find PHI: deterministic rules (see createRuleDetector) and, unless
 * `useModel` is false, the model under a JSON-schema grammar, whose proposals are found in the source (whole words
 * only) or dropped. Their spans, every other mention of what they found, are merged (overlaps become one span) and
 * replaced as `mode` says. Invariant: for every span, `start < end` index the source, and
 * `deidText.slice(deidStart, deidEnd)` is its replacement; outside the spans the text is unchanged.
 */
export function createDeidTask(options: DeidTaskOptions): Task<DeidResult> {
  const field = options.field ?? 'text'
  const useModel = options.useModel ?? true
  const system = buildDeidSystemPrompt()
  const schema = buildDeidSchema()
  let loaded: Promise<{detect: RuleDetector; faker?: Awaited<ReturnType<typeof loadFaker>>}> | undefined
  const load = () =>
    (loaded ??= Promise.all([createRuleDetector({idPatterns: options.idPatterns}), options.mode === 'surrogate' ? loadFaker() : undefined]).then(
      ([detect, faker]) => ({detect, faker}),
    ))

  return {
    name: 'deid',
    outputField: 'deid_text',
    omitFields: options.keepOriginal ? [] : [field],
    async run(text, context) {
      const patient = patientOf(context, options.patientField)
      const {detect, faker} = await load()
      const model = useModel && text.trim() !== '' ? await modelSpans(text, system, schema, context) : {spans: [], dropped: 0, truncated: false}
      const phi = resolvePhi(text, [...detect(text), ...model.spans])
      const output = replaceSpans(text, phi, {mode: options.mode, key: options.key, patient, dayOffset: dayOffset(options.key, patient), faker})
      if (options.onReplacements && output.replacements.length > 0) {
        options.onReplacements({ref: context.ref ?? {line: 0}, ...(options.patientField ? {patient} : {}), replacements: output.replacements})
      }

      return {deidText: output.deidText, spans: output.spans, dropped: model.dropped, truncated: model.truncated}
    },
    toRecord: (result) => ({
      deid_text: result.deidText,
      ...(options.spans === false
        ? {}
        : {phi: result.spans.map(({category, start, end, source, deidStart, deidEnd}) => ({category, start, end, source, deid_start: deidStart, deid_end: deidEnd}))}),
      ...(result.truncated ? {phi_truncated: true} : {}),
    }),
    renderText: (result) => result.deidText,
  }
}

/** The patient a record belongs to; a record without the patient field fails (naming the field, never a value). */
function patientOf(context: TaskContext, patientField: string | undefined): string {
  if (patientField === undefined) return ''
  const value = context.record?.[patientField]
  if (typeof value === 'string' || typeof value === 'number') return String(value)
  throw new InputError(`the record has no patient field "${patientField}" (a string or number)`, {
    hint: `Put the patient's id in "${patientField}", or name its field with --patient-field.`,
  }, 'E_FIELD_MISSING')
}

const WORD_CHAR = /[\p{L}\p{N}]/u

/** The model's proposals as spans of `text`: found whole-word in their chunk, never a common word alone. */
async function modelSpans(text: string, system: string, schema: ReturnType<typeof buildDeidSchema>, context: TaskContext): Promise<{spans: PhiSpan[]; dropped: number; truncated: boolean}> {
  const replies = await chatJsonPerChunk(text, system, schema, context)
  const spans: PhiSpan[] = []
  let dropped = 0
  let truncated = false
  for (const {chunk, reply} of replies) {
    const chunkText = text.slice(chunk.start, chunk.end)
    const aligner = createSpanAligner(chunkText)
    truncated ||= reply.truncated
    for (const proposal of objectsIn(asObject(reply.value).phi)) {
      const {text: mention, category} = proposal
      if (!isPhiCategory(category)) {
        dropped++
        continue
      }

      const span = typeof mention === 'string' && !isCommonWord(mention.trim()) ? aligner.find(mention) : undefined
      const whole = span && !WORD_CHAR.test(chunkText[span.start - 1] ?? '') && !WORD_CHAR.test(chunkText[span.end] ?? '')
      if (!span || !whole || span.end - span.start < 2) {
        dropped++
        continue
      }

      spans.push({category, start: span.start + chunk.start, end: span.end + chunk.start, source: 'model'})
    }
  }

  return {spans, dropped, truncated}
}
