import {chunkText} from '../tasks/index.js'

/** A chunk of a document before it is embedded: `text === documentText.slice(start, end)`. */
export interface DocumentChunk {
  chunk: number
  start: number
  end: number
  text: string
}

/**
 * Cuts a document into chunks of at most `chunkTokens` tokens (by `countTokens`, the embedding model's tokenizer) on
 * the largest boundary that fits: sections and paragraphs, then lines, sentences, words. Each keeps its character
 * offsets in the document (UTF-16 code units).
 */
export function chunkDocument(text: string, countTokens: (text: string) => number, chunkTokens: number): DocumentChunk[] {
  return chunkText(text, {countTokens, budgetTokens: chunkTokens}).map((span, chunk) => ({chunk, ...span, text: text.slice(span.start, span.end)}))
}
