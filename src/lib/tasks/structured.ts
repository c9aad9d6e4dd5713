import type {ChatRequest, Engine, JsonSchema} from '../engine/index.js'
import {EngineError} from '../errors/index.js'
import {chunksForPrompt} from './text/budget.js'
import {parsePartialJson} from './text/partial-json.js'
import type {TextSpan} from './text/spans.js'
import type {TaskContext} from './types.js'

/** What a structured call gave: the parsed value (possibly partial) and whether it was cut off. */
export interface StructuredReply {
  value: unknown
  /** True when generation stopped at max tokens before the JSON was complete; `value` holds what was complete. */
  truncated: boolean
}

/**
 * Runs a grammar-constrained chat call and always returns a value: output cut off at `maxTokens` is repaired to
 * its complete part, and output that breaks only the schema's length limits (multi-byte characters) is kept,
 * since the task checks every field itself anyway. Only text that is not JSON at all is an E_OUTPUT_INVALID error.
 */
export async function chatJson(engine: Engine, request: ChatRequest & {schema: NonNullable<ChatRequest['schema']>}): Promise<StructuredReply> {
  const generation = await engine.chat({...request, acceptInvalidJson: true})
  if (generation.json !== undefined) return {value: generation.json, truncated: false}
  try {
    const {value, complete} = parsePartialJson(generation.text)
    return {value, truncated: !complete}
  } catch (error) {
    throw new EngineError('the structured output was not JSON', {cause: error, hint: 'Try another --seed or a larger model.'}, 'E_OUTPUT_INVALID')
  }
}

/** One part of a text and the model's structured answer about it. */
export interface ChunkReply {
  /** The part: `text.slice(chunk.start, chunk.end)` was the user message, so offsets in it shift by `chunk.start`. */
  chunk: TextSpan
  reply: StructuredReply
}

/** What else a structured call may carry: a GBNF grammar that enforces the schema exactly. */
export interface StructuredExtras {
  grammar?: string
}

/**
 * Asks for structured output about `text`: in one call when it fits the context, else one call per part (cut on
 * section and paragraph boundaries, see `chunksForPrompt`), run concurrently on the engine's sequences. The few-shot
 * examples of `settings` come between the system prompt and each part, and count against the context.
 */
export async function chatJsonPerChunk(
  text: string,
  system: string,
  schema: JsonSchema,
  {engine, settings, signal}: TaskContext,
  extras: StructuredExtras = {},
): Promise<ChunkReply[]> {
  const examples = settings.examples?.length ? settings.examples : undefined
  const chunks = chunksForPrompt(engine, {system, examples}, text, settings.maxTokens)
  return Promise.all(
    chunks.map(async (chunk) => ({
      chunk,
      reply: await chatJson(engine, {...settings, system, examples, grammar: extras.grammar, user: text.slice(chunk.start, chunk.end), schema, signal}),
    })),
  )
}

/** The value as a plain object, or an empty one. */
export function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}

/** The value as an array of plain objects; anything else is left out. */
export function objectsIn(value: unknown): Array<Record<string, unknown>> {
  return Array.isArray(value) ? value.filter((item) => typeof item === 'object' && item !== null && !Array.isArray(item)) : []
}
