import {splitSentences} from './sentences.js'
import {trimSpan, type TextSpan} from './spans.js'

// A line that opens a section ("HPI:", "Assessment and Plan:", "MEDICATIONS") or a dialogue turn ("Doctor: …").
const HEADING = /^[ \t]*(?:[A-Z][A-Za-z0-9 ,/&()'-]{0,60}:|[A-Z][A-Z0-9 ,/&()'-]{2,60}[ \t]*$)/

/**
 * Splits text into blocks: paragraphs (separated by blank lines) and sections (a line that starts with a heading
 * such as `ASSESSMENT:` or `Plan:` opens a new block). Spans are trimmed and in order; together they cover every
 * non-whitespace character of the text.
 */
export function splitBlocks(text: string): TextSpan[] {
  const blocks: TextSpan[] = []
  let blockStart = -1
  let blockEnd = 0
  let previousBlank = true
  let lineStart = 0
  const close = (): void => {
    if (blockStart === -1) return
    const span = trimSpan(text, {start: blockStart, end: blockEnd})
    if (span.end > span.start) blocks.push(span)
    blockStart = -1
  }

  while (lineStart <= text.length) {
    const newline = text.indexOf('\n', lineStart)
    const lineEnd = newline === -1 ? text.length : newline
    const line = text.slice(lineStart, lineEnd)
    const blank = line.trim() === ''
    if (blank) {
      close()
    } else {
      if (!previousBlank && HEADING.test(line)) close()
      if (blockStart === -1) blockStart = lineStart
      blockEnd = lineEnd
    }

    previousBlank = blank
    if (newline === -1) break
    lineStart = newline + 1
  }

  close()
  return blocks
}

/** Options of {@link chunkText}. */
export interface ChunkOptions {
  /** Tokens of a piece of text; the sum over pieces is taken as an estimate of the whole. */
  countTokens(text: string): number
  /** Most tokens one chunk may hold (by `countTokens`); must be at least 1. */
  budgetTokens: number
  /** Exact check of a whole chunk, e.g. the real prompt size; default: `countTokens(chunk) <= budgetTokens`. */
  fits?(text: string): boolean
}

/**
 * Splits text into consecutive chunks that each fit a token budget, cutting on the largest boundary that works:
 * sections and paragraphs first, then lines, sentences, words, and only as a last resort inside a word (never
 * inside a surrogate pair). Each chunk is a trimmed span of the source, so `text.slice(start, end)` is its text
 * and offsets inside a chunk map back to the source by adding `start`. Empty text gives no chunks.
 */
export function chunkText(text: string, options: ChunkOptions): TextSpan[] {
  const budget = Math.max(1, options.budgetTokens)
  const fits = options.fits ?? ((chunk: string) => options.countTokens(chunk) <= budget)
  const pieces: Array<TextSpan & {tokens: number}> = []
  const addPiece = (span: TextSpan, level: number): void => {
    const tokens = options.countTokens(text.slice(span.start, span.end))
    if (tokens <= budget) {
      pieces.push({...span, tokens})
      return
    }

    const parts = splitSpan(text, span, level)
    if (parts.length === 0) pieces.push({...span, tokens})
    for (const part of parts) addPiece(part.span, part.level)
  }

  for (const block of splitBlocks(text)) addPiece(block, 0)

  // Greedy packing by the estimate (tokens where pieces join are not counted), then an exact check that halves any
  // chunk that does not fit.
  const chunks: TextSpan[] = []
  const emit = (group: typeof pieces): void => {
    if (group.length === 0) return
    const span = {start: group[0].start, end: group.at(-1)!.end}
    if (fits(text.slice(span.start, span.end))) {
      chunks.push(span)
    } else if (group.length > 1) {
      const middle = Math.ceil(group.length / 2)
      emit(group.slice(0, middle))
      emit(group.slice(middle))
    } else {
      // Only a piece whose exact prompt is larger than its estimate gets here: split it finer.
      const parts = splitSpan(text, span, 0)
      if (parts.length === 0) chunks.push(span)
      else emit(parts.map((part) => ({...part.span, tokens: 0})))
    }
  }

  let group: typeof pieces = []
  let groupTokens = 0
  for (const piece of pieces) {
    if (group.length > 0 && groupTokens + piece.tokens > budget) {
      emit(group)
      group = []
      groupTokens = 0
    }

    group.push(piece)
    groupTokens += piece.tokens
  }

  emit(group)
  return chunks
}

/** Splits a span one level finer: lines, then sentences, then words, then halves. */
function splitSpan(text: string, span: TextSpan, level: number): Array<{span: TextSpan; level: number}> {
  const slice = text.slice(span.start, span.end)
  const shift = (spans: TextSpan[]): TextSpan[] => spans.map((s) => ({start: s.start + span.start, end: s.end + span.start}))
  const finer = [
    () => shift(matchSpans(slice, /[^\n]+/g)),
    () => shift(splitSentences(slice)),
    () => shift(matchSpans(slice, /\S+/g)),
  ]
  for (let next = level; next < finer.length; next++) {
    const parts = finer[next]().map((s) => trimSpan(text, s)).filter((s) => s.end > s.start)
    if (parts.length > 1) return parts.map((part) => ({span: part, level: next + 1}))
  }

  const halves = halve(text, span)
  return halves.length > 1 ? halves.map((half) => ({span: half, level: finer.length})) : []
}

function matchSpans(text: string, pattern: RegExp): TextSpan[] {
  return [...text.matchAll(pattern)].map((match) => ({start: match.index, end: match.index + match[0].length}))
}

/** Two halves of a span, cut between code points; one span when it holds a single code point. */
function halve(text: string, span: TextSpan): TextSpan[] {
  let middle = span.start + Math.floor((span.end - span.start) / 2)
  const code = text.charCodeAt(middle)
  if (code >= 0xdc00 && code <= 0xdfff) middle++
  if (middle <= span.start || middle >= span.end) return [span]
  return [
    {start: span.start, end: middle},
    {start: middle, end: span.end},
  ]
}
