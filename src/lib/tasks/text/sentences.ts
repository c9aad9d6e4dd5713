import type {TextSpan} from './spans.js'

// Abbreviations common in clinical text that end in a period without ending the sentence.
const ABBREVIATIONS = new Set([
  ...['dr', 'mr', 'mrs', 'ms', 'pt', 'pts', 'vs', 'approx', 'appt', 'dept', 'fig', 'cf', 'e.g', 'i.e'],
  ...['b.i.d', 't.i.d', 'q.i.d', 'p.o', 'p.r.n', 'q.d', 'h.s', 'a.m', 'p.m'],
])

/**
 * Splits text into sentence spans (trimmed; never empty). A sentence ends at `.`, `!` or `?` (with closing
 * quotes or brackets) followed by whitespace, unless the word before the period is a known abbreviation, a
 * single letter, or the next word starts in lower case; every line break ends a sentence too, so that each turn
 * of a dialogue and each line of a list stands alone. Offsets are UTF-16 code units into `text`.
 */
export function splitSentences(text: string): TextSpan[] {
  const spans: TextSpan[] = []
  let start = 0
  const push = (end: number): void => {
    let s = start
    let e = end
    while (s < e && /\s/.test(text[s])) s++
    while (e > s && /\s/.test(text[e - 1])) e--
    if (e > s) spans.push({start: s, end: e})
  }

  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (char === '\n') {
      push(i)
      start = i + 1
      continue
    }

    if (char !== '.' && char !== '!' && char !== '?') continue
    let end = i + 1
    while (end < text.length && /["')\]\u201d\u2019]/.test(text[end])) end++
    if (end < text.length && !/\s/.test(text[end])) continue
    if (char === '.' && !endsSentence(text, start, i, end)) continue
    push(end)
    start = end
    i = end - 1
  }

  push(text.length)
  return spans
}

function endsSentence(text: string, sentenceStart: number, period: number, after: number): boolean {
  const word = /[\p{L}\p{N}.]*$/u.exec(text.slice(sentenceStart, period))![0].toLowerCase()
  if (ABBREVIATIONS.has(word) || /^\p{L}$/u.test(word)) return false
  const next = /\S/.exec(text.slice(after, after + 40))
  return next === null || !/\p{Ll}/u.test(next[0])
}
