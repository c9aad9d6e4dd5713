import {createSpanAligner, type SpanAligner} from '../text/spans.js'

/** A chunk of evidence shown to the model, numbered from 1 in the prompt. */
export interface Passage {
  /** The document id (a file's path, or an NDJSON record's id). */
  doc: string
  /** The chunk's number in its document, from 0. */
  chunk: number
  /** The chunk's text, exactly as stored. */
  text: string
}

/**
 * A verified citation. Invariant: `quote === passage.text.slice(start, end)` for the cited chunk, offsets in UTF-16
 * code units of the chunk's text.
 */
export interface Citation {
  doc: string
  chunk: number
  start: number
  end: number
  quote: string
}

/** What the model proposed: a passage number (1-based, as in the prompt) and a quote copied from it. */
export interface ProposedCitation {
  passage?: unknown
  quote?: unknown
}

/**
 * Keeps the proposed citations whose quote is found in the passage they name (tolerating case and whitespace
 * differences, see createSpanAligner) and reports each with the passage's own text and exact offsets; the others
 * (no such passage, not a string, not in the passage) are dropped and counted. The same span cited twice is kept once.
 */
export function verifyCitations(passages: readonly Passage[], proposals: readonly ProposedCitation[]): {citations: Citation[]; dropped: number} {
  const aligners = new Map<number, SpanAligner>()
  const seen = new Set<string>()
  const citations: Citation[] = []
  let dropped = 0
  for (const {passage: number, quote} of proposals) {
    const passage = Number.isInteger(number) ? passages[(number as number) - 1] : undefined
    if (!passage || typeof quote !== 'string') {
      dropped++
      continue
    }

    let aligner = aligners.get(number as number)
    if (!aligner) aligners.set(number as number, (aligner = createSpanAligner(passage.text)))
    const span = aligner.locate(quote)
    if (!span) {
      dropped++
      continue
    }

    const key = `${number}:${span.start}:${span.end}`
    if (seen.has(key)) continue
    seen.add(key)
    citations.push({doc: passage.doc, chunk: passage.chunk, start: span.start, end: span.end, quote: passage.text.slice(span.start, span.end)})
  }

  return {citations, dropped}
}
