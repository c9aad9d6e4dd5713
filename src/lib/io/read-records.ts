import type {Readable} from 'node:stream'

import {InputError} from '../errors/index.js'

/**
 * How the input is interpreted. `auto` looks at the first non-blank character: `{` means NDJSON; anything else is
 * one text document, except a JSON array (`[{…}`) and a header line before NDJSON, which are refused (see
 * {@link openRecords}).
 */
export type InputFormat = 'auto' | 'ndjson' | 'text'

/** One input line (NDJSON) or the whole document (text), before any task looks at it. */
export interface InputRecord {
  /** 1-based line number in the input (the first line of the document, for a plain-text document). */
  line: number
  /** The parsed JSON object, when the line is a valid record. */
  value?: Record<string, unknown>
  /** Why the line is not a valid record; it becomes an in-band error record. */
  error?: InputError
  /** With `error`: the id the error record carries (a file that cannot be read as records is known by its name). */
  id?: string
}

/** Options of {@link openRecords}. */
export interface OpenRecordsOptions {
  /** Input format; default `auto`. */
  format?: InputFormat
  /** Longest accepted NDJSON line in bytes; longer lines become `E_LINE_TOO_LONG` records. Default 64 MiB. */
  maxLineBytes?: number
  /** The field a plain-text document's text goes in; default `text`. */
  field?: string
  /** Fields a plain-text document also gets, e.g. `{id: 'note.txt'}` for a file. */
  documentFields?: Record<string, unknown>
  /** Added to every line number, when this input follows others (as `cat a b` numbers b's lines). Default 0. */
  lineOffset?: number
  /** A name for this input in messages (`line 7 (b.ndjson line 2)`), when there are several. */
  name?: string
}

/** The records of a stream plus the format that was detected. */
export interface RecordSource {
  format: 'ndjson' | 'text'
  /** The input holds nothing but whitespace, so it has no records (known before any record is read). */
  empty: boolean
  records: AsyncIterable<InputRecord>
}

const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024
/** How much of a line that may follow a header line is read to tell whether it is a JSON object. */
const HEADER_PROBE_BYTES = 1024 * 1024
const BOM = Buffer.from([0xef, 0xbb, 0xbf])
const strictUtf8 = new TextDecoder('utf-8', {fatal: true})
const ONE_PER_LINE_HINT = 'NDJSON is one object per line, e.g. {"id":1,"text":"..."}; jq -c . compacts pretty-printed JSON.'

/**
 * Opens a stream of records. NDJSON input yields one record per non-blank line, in order; a line that is
 * not a JSON object yields a record with an `error` instead of throwing, so the stream always goes on.
 * Text input yields one record `{text: <whole input>}`. Input that is only whitespace yields no record
 * (`empty`). In `auto` format, two inputs are refused with an InputError (exit 8) before any record is read,
 * because reading them as one text document would be a silent misreading: a JSON array (`[` then `{`, `[`
 * or `]`: E_JSON_ARRAY), and a first line that is not JSON followed by a line that is a JSON object
 * (E_HEADER_LINE).
 */
export async function openRecords(input: Readable | AsyncIterable<Buffer | string>, options: OpenRecordsOptions = {}): Promise<RecordSource> {
  // A manual iterator: leaving a for-await loop early would close the input stream.
  const iterator = toBuffers(input)
  const head: Buffer[] = []
  const requested = options.format ?? 'auto'
  let shape: Shape | undefined
  while (shape === undefined) {
    const next = await iterator.next()
    if (!next.done) head.push(next.value)
    shape = shapeOf(Buffer.concat(head), requested, next.done === true)
  }

  if (shape === 'array') {
    throw new InputError(`${options.name ?? 'The input'} is a JSON array, but jsl-med reads NDJSON: one object per line`, {hint: "Convert it with jq -c '.[]' (e.g. jq -c '.[]' records.json | jsl-med …)."}, 'E_JSON_ARRAY')
  }

  if (shape === 'header') {
    throw new InputError(`${options.name === undefined ? 'The' : `${options.name}: the`} first line is not JSON, but the next one is a JSON object: a header line before NDJSON?`, {
      hint: 'Drop the header line (tail -n +2), or say what the input is: --input-format ndjson (line 1 becomes an error record) or --input-format text (the whole input is one document).',
    }, 'E_HEADER_LINE')
  }

  const format = shape === 'empty' ? (requested === 'text' ? 'text' : 'ndjson') : shape
  const all = prepend(head, {[Symbol.asyncIterator]: () => iterator})
  if (shape === 'empty') return {format, empty: true, records: drain(all)}
  if (format === 'text') return {format, empty: false, records: readDocument(all, options)}
  return {format, empty: false, records: readNdjson(all, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES, options)}
}

type Shape = 'array' | 'empty' | 'header' | 'ndjson' | 'text'

/** What the first bytes of an input say it is, or `undefined` while more bytes are needed to tell. */
function shapeOf(bytes: Buffer, requested: InputFormat, ended: boolean): Shape | undefined {
  const start = nextNonBlank(bytes, bytes.subarray(0, 3).equals(BOM) ? 3 : 0)
  if (start === -1) return ended ? 'empty' : undefined
  if (requested !== 'auto') return requested
  if (bytes[start] === 0x7b) return 'ndjson'
  if (bytes[start] === 0x5b) {
    const second = nextNonBlank(bytes, start + 1)
    if (second === -1) return ended ? 'text' : undefined
    return [0x7b, 0x5b, 0x5d].includes(bytes[second]) ? 'array' : 'text'
  }

  const firstEnd = bytes.indexOf(0x0a, start)
  if (firstEnd === -1) return ended ? 'text' : undefined
  const next = nextNonBlank(bytes, firstEnd)
  if (next === -1) return ended ? 'text' : undefined
  if (bytes[next] !== 0x7b) return 'text'
  const nextEnd = bytes.indexOf(0x0a, next)
  if (nextEnd === -1 && !ended && bytes.length - next < HEADER_PROBE_BYTES) return undefined
  // A line that starts with { and is still going after a megabyte is a JSON record, not prose.
  if (nextEnd === -1 && !ended) return 'header'
  return isJsonObject(bytes.subarray(next, nextEnd === -1 ? bytes.length : nextEnd)) ? 'header' : 'text'
}

function isJsonObject(bytes: Buffer): boolean {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'))
    return typeof value === 'object' && value !== null && !Array.isArray(value)
  } catch {
    return false // not JSON: the input is prose that happens to have a line starting with {
  }
}

function nextNonBlank(bytes: Buffer, from: number): number {
  for (let i = from; i < bytes.length; i++) if (!isBlankByte(bytes[i])) return i
  return -1
}

function lineLabel(line: number, options: OpenRecordsOptions): string {
  const offset = options.lineOffset ?? 0
  return options.name === undefined ? `line ${line + offset}` : `line ${line + offset} (${options.name} line ${line})`
}

async function* drain(chunks: AsyncIterable<Buffer>): AsyncGenerator<InputRecord> {
  for await (const _chunk of chunks) {
    // Whitespace only: read to the end, so that the producer is not cut off, and yield nothing.
  }
}

async function* readDocument(chunks: AsyncIterable<Buffer>, options: OpenRecordsOptions): AsyncGenerator<InputRecord> {
  const parts: Buffer[] = []
  for await (const chunk of chunks) parts.push(chunk)
  const text = stripBom(Buffer.concat(parts)).toString('utf8')
  yield {line: 1 + (options.lineOffset ?? 0), value: {...options.documentFields, [options.field ?? 'text']: text}}
}

async function* readNdjson(chunks: AsyncIterable<Buffer>, maxLineBytes: number, options: OpenRecordsOptions): AsyncGenerator<InputRecord> {
  const offset = options.lineOffset ?? 0
  let line = 0
  for await (const piece of splitLines(chunks, maxLineBytes)) {
    line++
    if (piece === 'overflow') {
      yield {line: line + offset, error: new InputError(`${lineLabel(line, options)} is longer than ${maxLineBytes} bytes`, {hint: 'Split the record, or raise the limit.'}, 'E_LINE_TOO_LONG')}
      continue
    }

    const bytes = line === 1 ? stripBom(piece) : piece
    if (isBlank(bytes)) continue
    yield {...parseLine(bytes, lineLabel(line, options)), line: line + offset}
  }
}

function parseLine(bytes: Buffer, where: string): Omit<InputRecord, 'line'> {
  let text: string
  try {
    text = strictUtf8.decode(bytes)
  } catch {
    return {error: new InputError(`${where} is not valid UTF-8`, {hint: 'Re-encode the input as UTF-8 (e.g. iconv -t UTF-8).'}, 'E_BAD_ENCODING')}
  }

  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    // The parser's message can quote the line, which may hold patient text: report only its position.
    const position = /position (\d+)/.exec((error as Error).message)?.[1]
    const near = position === undefined ? '' : ` near character ${position}`
    return {error: new InputError(`${where} is not valid JSON${near}`, {hint: ONE_PER_LINE_HINT}, 'E_BAD_JSON')}
  }

  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {error: new InputError(`${where} is JSON but not an object`, {hint: ONE_PER_LINE_HINT}, 'E_NOT_OBJECT')}
  }

  return {value: value as Record<string, unknown>}
}

/**
 * Splits a byte stream on `\n` only (a lone `\r` is data, a trailing `\r` is dropped), so the line count
 * matches `wc -l` (plus an unterminated last line). Lines longer than `maxLineBytes` are skipped without
 * being buffered and reported as `'overflow'`.
 */
export async function* splitLines(chunks: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<Buffer | 'overflow'> {
  let pending: Buffer[] = []
  let pendingBytes = 0
  let overflow = false
  for await (const chunk of chunks) {
    let start = 0
    let newline = chunk.indexOf(0x0a, start)
    while (newline !== -1) {
      const tail = chunk.subarray(start, newline)
      if (overflow || pendingBytes + tail.length > maxLineBytes) yield 'overflow'
      else yield dropCr(pending.length === 0 ? tail : Buffer.concat([...pending, tail]))
      pending = []
      pendingBytes = 0
      overflow = false
      start = newline + 1
      newline = chunk.indexOf(0x0a, start)
    }

    const rest = chunk.subarray(start)
    if (overflow || rest.length === 0) continue
    pendingBytes += rest.length
    if (pendingBytes > maxLineBytes) {
      overflow = true
      pending = []
    } else {
      pending.push(rest)
    }
  }

  if (overflow) yield 'overflow'
  else if (pendingBytes > 0) yield dropCr(Buffer.concat(pending))
}

async function* toBuffers(input: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  for await (const chunk of input) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk
}

async function* prepend(head: Buffer[], rest: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  yield* head
  yield* rest
}

function isBlank(bytes: Buffer): boolean {
  return bytes.every((byte) => isBlankByte(byte))
}

function isBlankByte(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d
}

function dropCr(line: Buffer): Buffer {
  return line.length > 0 && line.at(-1) === 0x0d ? line.subarray(0, -1) : line
}

function stripBom(bytes: Buffer): Buffer {
  return bytes.subarray(0, 3).equals(BOM) ? bytes.subarray(3) : bytes
}
