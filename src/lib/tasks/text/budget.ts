import type {ChatExample, Engine} from '../../engine/index.js'
import {InputError} from '../../errors/index.js'
import {chunkText} from './chunks.js'
import type {TextSpan} from './spans.js'

// Room left for tokens that appear where pieces join, and the smallest chunk worth a model call.
const SLACK_TOKENS = 8
const MIN_CHUNK_TOKENS = 64

/**
 * Most parts one text is cut into. Far beyond any clinical note (with a 4096-token context, about half a million
 * words), it stops hostile or mistaken input (a whole file on one line) from running for hours.
 */
export const MAX_CHUNKS = 256

/** What precedes the user message: a system prompt, or a system prompt and few-shot examples. */
export type PromptPrefix = string | {system: string; examples?: readonly ChatExample[]}

const prefixOf = (prefix: PromptPrefix): {system: string; examples?: readonly ChatExample[]} => (typeof prefix === 'string' ? {system: prefix} : prefix)

/** Whether the prefix + `user` and `maxTokens` of output fit one sequence of the engine's context. */
export function promptFits(engine: Engine, prefix: PromptPrefix, user: string, maxTokens: number): boolean {
  return engine.countPromptTokens({...prefixOf(prefix), user}) + maxTokens <= engine.info.contextSize
}

/**
 * The spans of `text` to send as user messages after `system` (a system prompt, with or without examples): the whole text when it fits the context with room
 * for `maxTokens` of output, else chunks cut on section and paragraph boundaries (then lines, sentences, words)
 * that each fit. Throws InputError E_TOO_LONG when the prompt and `maxTokens` leave too little room for any text,
 * or when the text would take more than {@link MAX_CHUNKS} parts.
 */
export function chunksForPrompt(engine: Engine, system: PromptPrefix, text: string, maxTokens: number): TextSpan[] {
  if (promptFits(engine, system, text, maxTokens)) return [{start: 0, end: text.length}]
  const budgetTokens = engine.info.contextSize - maxTokens - engine.countPromptTokens({...prefixOf(system), user: ''}) - SLACK_TOKENS
  if (budgetTokens < MIN_CHUNK_TOKENS) {
    throw new InputError(
      `the text does not fit the context, and --max-tokens ${maxTokens} leaves only ${Math.max(0, budgetTokens)} ` +
        `of ${engine.info.contextSize} tokens per part`,
      {hint: 'Lower --max-tokens or raise --context-size.', details: {contextSize: engine.info.contextSize, maxTokens}},
      'E_TOO_LONG',
    )
  }

  const estimatedChunks = Math.ceil(engine.countTokens(text) / budgetTokens)
  if (estimatedChunks > MAX_CHUNKS) {
    throw new InputError(`the text would take about ${estimatedChunks} parts of the context, more than the ${MAX_CHUNKS} allowed`, {
      hint: 'Split the record into smaller records, or raise --context-size.',
      details: {contextSize: engine.info.contextSize, estimatedChunks},
    }, 'E_TOO_LONG')
  }

  return chunkText(text, {
    countTokens: (piece) => engine.countTokens(piece),
    budgetTokens,
    fits: (chunk) => promptFits(engine, system, chunk, maxTokens),
  })
}
