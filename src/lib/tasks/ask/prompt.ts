import type {JsonSchema} from '../../engine/index.js'
import type {Passage} from './citations.js'

/** Limits that keep any model's answer bounded. */
export const ASK_LIMITS = {answerChars: 1500, citations: 8, quoteChars: 300} as const

/** The system prompt when passages are given: answer from them only, cite verbatim quotes, say when they fall short. */
export const EVIDENCE_SYSTEM_PROMPT = [
  'You answer clinical questions using only the numbered passages the user gives you.',
  'Give "answer": a short, factual answer. Give "citations": for each claim, the "passage" number and a "quote"',
  'copied exactly, word for word, from that passage. If the passages do not contain the answer, set "insufficient"',
  'to true and say so briefly in "answer". Answer with JSON only.',
].join('\n')

/** The system prompt without evidence: the model's own knowledge, and a way to decline. */
export const MODEL_ONLY_SYSTEM_PROMPT = [
  'You answer clinical questions briefly and factually. If you do not know, set "insufficient" to true and say so',
  'briefly in "answer". Answer with JSON only.',
].join('\n')

/** The user message: the passages (numbered, with their document), then the question. */
export function buildAskUserPrompt(question: string, passages: readonly Passage[]): string {
  if (passages.length === 0) return `Question: ${question}`
  const blocks = passages.map((passage, index) => `[${index + 1}] (${passage.doc}, chunk ${passage.chunk})\n${passage.text}`)
  return `Passages:\n\n${blocks.join('\n\n')}\n\nQuestion: ${question}`
}

/** The answer's schema, with citations when there are passages to cite. */
export function buildAskSchema(withCitations: boolean): JsonSchema {
  const properties: Record<string, unknown> = {
    insufficient: {type: 'boolean'},
    answer: {type: 'string', maxLength: ASK_LIMITS.answerChars},
  }
  if (withCitations) {
    properties.citations = {
      type: 'array',
      maxItems: ASK_LIMITS.citations,
      items: {type: 'object', properties: {passage: {type: 'integer'}, quote: {type: 'string', minLength: 1, maxLength: ASK_LIMITS.quoteChars}}},
    }
  }

  return {type: 'object', properties} as JsonSchema
}
