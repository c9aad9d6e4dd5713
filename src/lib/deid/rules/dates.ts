import type {RuleMatch} from './types.js'

/** The part of chrono-node these rules use (loaded lazily: it is large, and only `deid` needs it). */
export interface DateParser {
  parse(text: string, reference?: Date): Array<{index: number; text: string; start: {isCertain(component: 'day' | 'month' | 'year'): boolean}}>
}

/** Loads chrono-node's English parser. */
export async function loadDateParser(): Promise<DateParser> {
  const chrono = await import('chrono-node/en')
  return chrono.casual as DateParser
}

const MONTH_NAME = /\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?/i
const DATE_START = /\d|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)/i
const NUMERIC_DATE = /\d{1,4}[-/.]\d{1,2}/
// Numeric dates chrono reads in one order only (US month first); day-first dates such as 25/12/2020 and dotted
// dates must still be found, as must dates whose separators chrono does not know.
const NUMERIC_DATES = [
  /\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b/g,
  /\b\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})\b/g,
  /\b\d{1,2}[-/ ](?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?[-/ ](?:\d{4}|\d{2})\b/gi,
  /\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}\b/gi,
]

// A month/day without a year (`3/18`) is a date only after a word that introduces one: alone it may be a pain score
// (`5/10`), a ratio or a dose. `f/u 3/18`, `seen 3/18`, `on 3/18`, `since 12/2` are dates.
const CUED_MONTH_DAY =
  /\b(?:on|since|from|until|till|by|before|after|f\/u|follow[- ]?up|seen|visit|admitted|admission|discharged|discharge|dated|dos|dob|surgery|returned|appt|appointment|scheduled)[:.]?\s+(?:on\s+)?((0?[1-9]|1[0-2])\/(0?[1-9]|[12]\d|3[01]))(?![/\d])/gi

/**
 * Finds dates: chrono-node's parses (`3/4/21`, `March 4th`, `2021-03-04`, `04-Mar-2021`, `Mar. 4, 2021`, `August
 * 2008`), kept only when they hold a month name or a numeric date, name a month, and pin a day or a year — so that `today`,
 * `Monday`, times alone and `eight years ago` are not dates, and a numeric date without a year (`5/10`, a pain score)
 * is not one either, unless a word that introduces a date precedes it (`f/u 3/18`). Numeric patterns catch what chrono reads differently (day-first dates). A year alone is not PHI
 * under Safe Harbor and is not found.
 */
export function findDates(text: string, parser: DateParser): RuleMatch[] {
  const spans: RuleMatch[] = []
  for (const result of parser.parse(text, new Date(Date.UTC(2000, 0, 1)))) {
    const hasName = MONTH_NAME.test(result.text)
    // `22 today` and `at 3 tomorrow` hold digits and a certain day, yet are no date of the text.
    if (!hasName && !NUMERIC_DATE.test(result.text)) continue
    const {start} = result
    if (!start.isCertain('month')) continue
    if (!start.isCertain('day') && !start.isCertain('year')) continue
    if (!hasName && !start.isCertain('year')) continue
    // chrono's text may begin with the word that introduced the date (`on 10-Dec-1982`): the date starts after it.
    const lead = result.text.search(DATE_START)
    spans.push({category: 'date', start: result.index + Math.max(lead, 0), end: result.index + result.text.length})
  }

  for (const pattern of NUMERIC_DATES) {
    for (const match of text.matchAll(pattern)) spans.push({category: 'date', start: match.index, end: match.index + match[0].length})
  }

  for (const match of text.matchAll(CUED_MONTH_DAY)) {
    const start = match.index + match[0].length - match[1].length
    spans.push({category: 'date', start, end: start + match[1].length})
  }

  return spans
}
