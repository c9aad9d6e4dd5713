const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december']
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday']
const DAY_MS = 86_400_000
// A time of day is kept as it is (a shift is whole days), and its digits are not date parts.
const TIME = /\b\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?/gi
const TOKEN = /\d+(?:st|nd|rd|th)?|[A-Za-z]+/g

interface Token {
  start: number
  end: number
  text: string
  kind: 'month' | 'number' | 'weekday'
  value: number
}

/** Where each part of a date is in its text, and the date (the year is undefined when the text has none). */
interface DateParts {
  year?: Token
  month: Token
  day?: Token
  date: {year: number; month: number; day: number}
}

/**
 * Shifts the date written in `text` by `days`, keeping its format: `3/4/21` stays M/D/YY, `04-Mar-2021` keeps its
 * abbreviation and zero padding, `March 4th` gets the new day's ordinal, a weekday name is recomputed, a time of day
 * is kept. Numeric dates are read month first unless the first number is over 12 (day first) or four digits (ISO).
 * Returns undefined when the text is not a date this can read (the caller then masks it).
 */
export function shiftDate(text: string, days: number): string | undefined {
  const parts = readDate(text)
  if (!parts) return undefined
  const {date} = parts
  // A date without a year is shifted within a leap year, so that February 29 is a date.
  const year = parts.year ? date.year : 2000
  const moved = new Date(Date.UTC(year, date.month - 1, date.day) + days * DAY_MS)
  const edits: Array<{token: Token; text: string}> = []
  const pad = isPadded(parts)
  if (parts.year) {
    const short = parts.year.text.length <= 2
    edits.push({token: parts.year, text: formatNumber(short ? moved.getUTCFullYear() % 100 : moved.getUTCFullYear(), parts.year.text, short)})
  }

  edits.push({token: parts.month, text: parts.month.kind === 'month' ? formatMonth(moved.getUTCMonth(), parts.month.text) : formatNumber(moved.getUTCMonth() + 1, parts.month.text, pad)})
  if (parts.day) edits.push({token: parts.day, text: formatNumber(moved.getUTCDate(), parts.day.text, pad)})
  for (const token of tokensOf(text).filter((t) => t.kind === 'weekday')) edits.push({token, text: matchCase(WEEKDAYS[moved.getUTCDay()], token.text)})
  let result = text
  for (const {token, text: replacement} of edits.sort((a, b) => b.token.start - a.token.start)) result = result.slice(0, token.start) + replacement + result.slice(token.end)
  return result
}

/** The day (UTC midnight, in ms) the text names, with year 2000 when it has none; undefined when unreadable. */
export function readDateValue(text: string): number | undefined {
  const parts = readDate(text)
  return parts ? Date.UTC(parts.year ? parts.date.year : 2000, parts.date.month - 1, parts.date.day) : undefined
}

function readDate(text: string): DateParts | undefined {
  const tokens = tokensOf(text).filter((token) => token.kind !== 'weekday')
  const [a, b, c] = tokens
  const number = (token: Token | undefined): token is Token => token?.kind === 'number'
  const month = (token: Token | undefined): token is Token => token?.kind === 'month'
  let parts: Omit<DateParts, 'date'> | undefined
  if (tokens.length === 3 && number(a) && number(b) && number(c)) {
    if (a.text.length === 4) parts = {year: a, month: b, day: c}
    else if (a.value > 12) parts = {day: a, month: b, year: c}
    else parts = {month: a, day: b, year: c}
  } else if (month(a) && number(b) && number(c)) parts = {month: a, day: b, year: c}
  else if (number(a) && month(b) && number(c)) parts = {day: a, month: b, year: c}
  else if (tokens.length === 2 && month(a) && number(b)) parts = b.text.length === 4 ? {month: a, year: b} : {month: a, day: b}
  else if (tokens.length === 2 && number(a) && month(b)) parts = {day: a, month: b}
  else if (tokens.length === 2 && number(a) && number(b)) parts = b.text.length === 4 ? {month: a, year: b} : a.text.length === 4 ? {year: a, month: b} : {month: a, day: b}
  if (!parts) return undefined
  const year = parts.year ? (parts.year.text.length <= 2 ? 2000 + parts.year.value : parts.year.value) : 2000
  const monthValue = parts.month.value
  const day = parts.day?.value ?? 15
  if (monthValue < 1 || monthValue > 12 || day < 1 || day > 31) return undefined
  if (new Date(Date.UTC(year, monthValue - 1, day)).getUTCDate() !== day) return undefined
  return {...parts, date: {year, month: monthValue, day}}
}

function tokensOf(text: string): Token[] {
  const masked = text.replaceAll(TIME, (time) => ' '.repeat(time.length))
  const tokens: Token[] = []
  for (const match of masked.matchAll(TOKEN)) {
    const word = match[0].toLowerCase()
    const start = match.index
    if (/^\d/.test(word)) {
      const digits = /^\d+/.exec(word)![0]
      tokens.push({start, end: start + match[0].length, text: match[0], kind: 'number', value: Number(digits)})
      continue
    }

    const month = word.length >= 3 ? MONTHS.findIndex((name) => name.startsWith(word) && (word.length >= 3 || name === word)) : -1
    if (month >= 0 && (word === MONTHS[month] || word.length <= 4)) tokens.push({start, end: start + match[0].length, text: match[0], kind: 'month', value: month + 1})
    else if (word.length >= 3 && WEEKDAYS.some((name) => name.startsWith(word))) tokens.push({start, end: start + match[0].length, text: match[0], kind: 'weekday', value: 0})
  }

  return tokens
}

/** The number written as the original was: zero-padded to two digits when `pad`, the same ordinal suffix style. */
function formatNumber(value: number, original: string, pad: boolean): string {
  const digits = /^\d+/.exec(original)![0]
  const suffix = original.slice(digits.length)
  const padded = String(value).padStart(pad ? 2 : 1, '0')
  return suffix === '' ? padded : padded + matchCase(ordinalSuffix(value), suffix)
}

/**
 * Whether day and month are zero-padded: yes when one of them starts with 0, no when one has a single digit; when
 * both have two digits over 9 (12/25/2020), numeric dates are taken as padded (MM/DD/YYYY), named ones not.
 */
function isPadded(parts: Omit<DateParts, 'date'>): boolean {
  const numbers = [parts.day, parts.month].filter((token): token is Token => token?.kind === 'number').map((token) => /^\d+/.exec(token.text)![0])
  if (numbers.some((digits) => digits.startsWith('0'))) return true
  if (numbers.some((digits) => digits.length === 1)) return false
  return parts.month.kind === 'number'
}

function ordinalSuffix(value: number): string {
  if (value % 100 >= 11 && value % 100 <= 13) return 'th'
  return ['th', 'st', 'nd', 'rd'][value % 10] ?? 'th'
}

/** The month in the original's form: the full name, or a three-letter abbreviation (four for Sept), in its case. */
function formatMonth(index: number, original: string): string {
  const name = MONTHS[index]
  if (MONTHS.includes(original.toLowerCase())) return matchCase(name, original)
  return matchCase(index === 8 && original.length === 4 ? 'sept' : name.slice(0, 3), original)
}

function matchCase(word: string, original: string): string {
  if (original.length > 1 && original === original.toUpperCase()) return word.toUpperCase()
  if (original[0] === original[0].toUpperCase()) return word[0].toUpperCase() + word.slice(1)
  return word
}
