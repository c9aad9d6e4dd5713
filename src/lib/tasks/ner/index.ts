import {checkIcd10cmCode, type CodeCheck, type CodeSystem, type CodeTable} from '../../codes/index.js'
import type {JsonSchema} from '../../engine/index.js'
import {checkExampleOutput} from '../examples.js'
import {asObject, chatJsonPerChunk, objectsIn} from '../structured.js'
import {createSpanAligner} from '../text/spans.js'
import type {Task} from '../types.js'
import {ASSERTIONS, DEFAULT_NER_LABELS, parseLabels, type Assertion} from './labels.js'
import {buildNerSchema, buildNerSystemPrompt, type NerPromptOptions} from './prompt.js'

export {ASSERTIONS, DEFAULT_NER_LABELS, parseLabels} from './labels.js'
export type {Assertion} from './labels.js'

/**
 * One entity. Invariant: `text === source.slice(start, end)`, with offsets in JavaScript string indices (UTF-16
 * code units; in Python, index `source.encode('utf-16-le')` by 2 × offset, or convert for text beyond the BMP).
 */
export interface Entity {
  text: string
  label: string
  start: number
  end: number
  assertion: Assertion
  /** The code the model proposed and how it checked out; only with `link`, and only when a code was proposed. */
  code?: CodeCheck
}

/** The result of `ner` for one text. */
export interface NerResult {
  /** Entities in source order (by start, then end). */
  entities: Entity[]
  /** Proposals that were not found in the source (or were not well formed) and were left out. */
  dropped: number
  /** The model stopped at --max-tokens, so the list may be incomplete. */
  truncated: boolean
}

/** Options of {@link createNerTask}. */
export interface NerTaskOptions {
  /** Entity labels; default {@link DEFAULT_NER_LABELS}. */
  labels?: readonly string[]
  /** Ask the model for a code per entity and check it; `codes` is the user's table (without it no code is `linked`). */
  link?: {system: CodeSystem; codes?: CodeTable}
  /** Most entities the model may propose per call; default 40. */
  maxEntities?: number
  /** Longest mention the model may propose, in characters; default 80. */
  maxMentionChars?: number
}

/**
 * Creates the `ner` task: the model proposes verbatim mentions with a label and an assertion under a JSON-schema
 * grammar; each proposal is then found in the source (tolerating case and whitespace differences, repeated mentions
 * in order) and reported with the source's exact text and offsets, or dropped and counted. A text too long for the
 * context is split on section and paragraph boundaries and its entities are merged.
 */
export function createNerTask(options: NerTaskOptions = {}): Task<NerResult> {
  const labels = options.labels ? parseLabels(options.labels.join(',')) : [...DEFAULT_NER_LABELS]
  const promptOptions: NerPromptOptions = {
    labels,
    link: options.link !== undefined,
    maxEntities: options.maxEntities ?? 40,
    maxMentionChars: options.maxMentionChars ?? 80,
  }
  const system = buildNerSystemPrompt(promptOptions)
  const schema = buildNerSchema(promptOptions)
  const labelSet = new Set(labels)
  const assertionSet = new Set<string>(ASSERTIONS)

  return {
    name: 'ner',
    outputField: 'entities',
    structured: true,
    async run(text, context) {
      if (text.trim() === '') return {entities: [], dropped: 0, truncated: false}
      const replies = await chatJsonPerChunk(text, system, schema, context)
      const entities: Entity[] = []
      let dropped = 0
      let truncated = false
      for (const {chunk, reply} of replies) {
        const chunkText = text.slice(chunk.start, chunk.end)
        const aligner = createSpanAligner(chunkText)
        const proposals = objectsIn(asObject(reply.value).entities)
        truncated ||= reply.truncated
        for (const [index, proposal] of proposals.entries()) {
          const {text: mention, label, assertion, code} = proposal
          const complete = typeof mention === 'string' && labelSet.has(label as string) && assertionSet.has(assertion as string)
          // The last item of a cut-off answer may lack fields: it was never proposed whole, so it is not counted.
          if (!complete && reply.truncated && index === proposals.length - 1) continue
          const span = complete ? aligner.find(mention) : undefined
          if (!span) {
            dropped++
            continue
          }

          const start = span.start + chunk.start
          const end = span.end + chunk.start
          const entity: Entity = {text: text.slice(start, end), label: label as string, start, end, assertion: assertion as Assertion}
          const check = options.link && typeof code === 'string' ? checkIcd10cmCode(code, options.link.codes) : undefined
          if (check) entity.code = check
          entities.push(entity)
        }
      }

      entities.sort((a, b) => a.start - b.start || a.end - b.end)
      return {entities, dropped, truncated}
    },
    toRecord: ({entities, dropped, truncated}) => ({entities, dropped, ...(truncated ? {entities_truncated: true} : {})}),
    renderText: renderEntities,
    exampleReply(input, output) {
      const entity = {type: 'object', properties: {text: {type: 'string', minLength: 1}, label: {enum: labels}, assertion: {enum: [...ASSERTIONS]}}, required: ['text', 'label', 'assertion'], additionalProperties: true}
      checkExampleOutput(output, {type: 'object', properties: {entities: {type: 'array', items: entity}}, required: ['entities'], additionalProperties: true} as JsonSchema)
      const aligner = createSpanAligner(input)
      const entities = objectsIn(output.entities).map((item, i) => {
        // An example whose mention is not in its text would teach the model to invent mentions.
        if (!aligner.locate(item.text as string)) throw new Error(`entities[${i}].text is not in the input`)
        const reply: Record<string, unknown> = {text: item.text, label: item.label, assertion: item.assertion}
        if (options.link) reply.code = typeof item.code === 'string' ? item.code : ((item.code as {value?: unknown} | undefined)?.value ?? '')
        return reply
      })
      return JSON.stringify({entities})
    },
  }
}

/** The default `ner` task: default labels, no code linking. */
export const nerTask: Task<NerResult> = createNerTask()

/** A readable entity list: one line per entity with label, assertion, offsets and text (and code when linked). */
export function renderEntities({entities, dropped, truncated}: NerResult): string {
  const lines = [`${entities.length} ${entities.length === 1 ? 'entity' : 'entities'}`]
  if (dropped > 0) lines[0] += ` (${dropped} ${dropped === 1 ? 'proposal' : 'proposals'} not found in the text left out)`
  if (truncated) lines[0] += '; the model stopped at --max-tokens, so the list may be incomplete'
  const labelWidth = Math.max(5, ...entities.map((entity) => entity.label.length))
  for (const entity of entities) {
    const where = `${entity.start}-${entity.end}`.padEnd(11)
    let line = `  ${entity.label.padEnd(labelWidth)}  ${entity.assertion.padEnd(12)}  ${where} ${oneLine(entity.text)}`
    if (entity.code) {
      const {value, status, description} = entity.code
      line += `  [ICD-10-CM ${value} ${status}${description ? `: ${description}` : ''}]`
    }

    lines.push(line)
  }

  return lines.join('\n')
}

function oneLine(text: string): string {
  return text.replaceAll(/\s+/g, ' ')
}
