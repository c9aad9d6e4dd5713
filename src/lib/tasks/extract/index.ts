import {jsonSchemaToGbnf, validateJsonValue, type JsonSchema} from '../../engine/index.js'
import {EngineError} from '../../errors/index.js'
import {checkExampleOutput} from '../examples.js'
import {chatJsonPerChunk} from '../structured.js'
import type {Task} from '../types.js'
import {collectEvidence, type Evidence} from './evidence.js'
import {clampStrings, mergeExtractions} from './merge.js'
import {buildExtractSystemPrompt} from './prompt.js'
import {boundSchema, DEFAULT_SCHEMA_BOUNDS, type SchemaBounds} from './schema.js'

export {collectEvidence} from './evidence.js'
export type {Evidence, EvidenceResult} from './evidence.js'
export {mergeExtractions} from './merge.js'
export {boundSchema, DEFAULT_SCHEMA_BOUNDS, parseConciseSchema, readExtractSchema} from './schema.js'
export type {SchemaBounds} from './schema.js'

/** The result of `extract` for one text. */
export interface ExtractResult {
  /** Valid against the user's schema. */
  data: unknown
  /** Offsets of the free string values of `data` found in the text. */
  evidence: Evidence[]
  /** JSON Pointers of free string values not found in the text (no offsets). */
  unsupported: string[]
  /** The model stopped at --max-tokens in some part; `data` is its complete part, still valid against the schema. */
  truncated: boolean
  /** Parts the text was cut into (1 when it fit one call). */
  chunks: number
}

/** Options of {@link createExtractTask}. */
export interface ExtractTaskOptions {
  /** The user's schema (see `readExtractSchema`): output is always valid against it. */
  schema: JsonSchema
  /** Bounds added for the grammar where the schema has none; default {@link DEFAULT_SCHEMA_BOUNDS}. */
  bounds?: SchemaBounds
}

/**
 * Creates the `extract` task: the model fills the user's JSON Schema under a grammar compiled from it (with bounds
 * added, see `boundSchema`), so every answer is valid against the schema. A text too long for the context is cut on
 * section and paragraph boundaries and the parts' answers are merged (see `mergeExtractions`). Every free string
 * value is then looked up in the whole text (see `collectEvidence`): found values get exact offsets, the others are
 * listed as unsupported.
 */
export function createExtractTask(options: ExtractTaskOptions): Task<ExtractResult> {
  const {schema} = options
  const bounded = boundSchema(schema, options.bounds)
  const grammar = jsonSchemaToGbnf(bounded)
  const system = buildExtractSystemPrompt(schema)
  return {
    name: 'extract',
    outputField: 'data',
    structured: true,
    async run(text, context) {
      const replies = await chatJsonPerChunk(text, system, bounded, context, {grammar})
      const values: unknown[] = []
      let truncated = false
      for (const {reply} of replies) {
        // A cut-off answer is repaired to its complete part; it counts only when that part is still schema-valid.
        const value = clampStrings(reply.value, bounded)
        if (validateJsonValue(value, schema).length > 0) {
          throw new EngineError(reply.truncated ? 'the extraction was cut off at --max-tokens before it was complete' : 'the extraction is not valid against the schema', {
            hint: reply.truncated ? 'Raise --max-tokens, or add maxLength/maxItems to the schema.' : 'Try another --seed or a larger model.',
          }, reply.truncated ? 'E_OUTPUT_TRUNCATED' : 'E_OUTPUT_INVALID')
        }

        truncated ||= reply.truncated
        values.push(value)
      }

      const data = mergeExtractions(values, schema)
      const problems = validateJsonValue(data, schema)
      if (problems.length > 0) throw new EngineError(`the merged extraction is not valid against the schema: ${problems.slice(0, 3).join('; ')}`, {hint: 'Raise --context-size so that the text fits one call.'}, 'E_OUTPUT_INVALID')
      return {data, ...collectEvidence(data, schema, text), truncated, chunks: replies.length}
    },
    toRecord: ({data, evidence, unsupported, truncated, chunks}) => ({
      data,
      evidence,
      unsupported,
      ...(truncated ? {data_truncated: true} : {}),
      ...(chunks > 1 ? {data_chunks: chunks} : {}),
    }),
    renderText: renderExtraction,
    exampleReply(_input, output) {
      // The user's schema is checked on its own: its $refs point into its own root.
      if (!Object.hasOwn(output, 'data')) throw new Error('has no "data"')
      checkExampleOutput(output.data, schema)
      return JSON.stringify(output.data)
    },
  }
}

/** The extraction as readable text: the data as indented JSON, then where each value is in the text. */
export function renderExtraction({data, evidence, unsupported, truncated}: ExtractResult): string {
  const lines = [JSON.stringify(data, null, 2)]
  if (evidence.length > 0) lines.push('evidence:', ...evidence.map((e) => `  ${e.path}  ${e.start}-${e.end}  ${e.text.replaceAll(/\s+/g, ' ')}`))
  if (unsupported.length > 0) lines.push(`not found in the text: ${unsupported.join(', ')}`)
  if (truncated) lines.push('the model stopped at --max-tokens, so lists may be incomplete')
  return lines.join('\n')
}
