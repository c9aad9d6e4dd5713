import type {Readable} from 'node:stream'

import {InputError} from '../errors/index.js'

/** How stdin is interpreted: `auto` looks at the first non-blank character (`{` means NDJSON). */
export type InputFormat = 'auto' | 'ndjson' | 'text'

/** One input line (NDJSON) or the whole document (text), before any task looks at it. */
export interface InputRecord {
  /** 1-based line number in the input (1 for a plain-text document). */
  line: number
  /** The parsed JSON object, when the line is a valid record. */
  value?: Record<string, unknown>
  /** Why the line is not a valid record; it becomes an in-band error record. */
  error?: InputError
}

/** Options of {@link openRecords}. */
export interface OpenRecordsOptions {
  /** Input format; default `auto`. */
  format?: InputFormat
  /** Longest accepted NDJSON line in bytes; longer lines become `E_LINE_TOO_LONG` records. Default 64 MiB. */
  maxLineBytes?: number
}

/** The records of a stream plus the format that was detected. */
export interface RecordSource {
  format: 'ndjson' | 'text'
  records: AsyncIterable<InputRecord>
}

const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024
const BOM = Buffer.from([0xef, 0xbb, 0xbf])
const strictUtf8 = new TextDecoder('utf-8', {fatal: true})

/**
 * Opens a stream of records. NDJSON input yields one record per non-blank line, in order; a line that is
 * not a JSON object yields a record with an `error` instead of throwing, so the stream always goes on.
 * Text input yields one record `{text: <whole input>}`.
 */
export async function openRecords(input: Readable | AsyncIterable<Buffer | string>, options: OpenRecordsOptions = {}): Promise<RecordSource> {
  // A manual iterator: leaving a for-await loop early would close the input stream.
  const iterator = toBuffers(input)
  const head: Buffer[] = []
  let format = options.format ?? 'auto'
  while (format === 'auto') {
    const next = await iterator.next()
    if (next.done) {
      format = 'text'
      break
    }

    head.push(next.value)
    const first = firstNonBlankByte(Buffer.concat(head))
    if (first !== undefined) format = first === 0x7b ? 'ndjson' : 'text'
  }

  const all = prepend(head, {[Symbol.asyncIterator]: () => iterator})
  if (format === 'text') return {format, records: readDocument(all)}
  return {format, records: readNdjson(all, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES)}
}

async function* readDocument(chunks: AsyncIterable<Buffer>): AsyncGenerator<InputRecord> {
  const parts: Buffer[] = []
  for await (const chunk of chunks) parts.push(chunk)
  yield {line: 1, value: {text: stripBom(Buffer.concat(parts)).toString('utf8')}}
}

async function* readNdjson(chunks: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<InputRecord> {
  let line = 0
  for await (const piece of splitLines(chunks, maxLineBytes)) {
    line++
    if (piece === 'overflow') {
      yield {line, error: new InputError(`line ${line} is longer than ${maxLineBytes} bytes`, {hint: 'Split the record, or raise the limit.'}, 'E_LINE_TOO_LONG')}
      continue
    }

    const bytes = line === 1 ? stripBom(piece) : piece
    if (isBlank(bytes)) continue
    yield parseLine(bytes, line)
  }
}

function parseLine(bytes: Buffer, line: number): InputRecord {
  let text: string
  try {
    text = strictUtf8.decode(bytes)
  } catch {
    return {line, error: new InputError(`line ${line} is not valid UTF-8`, {hint: 'Re-encode the input as UTF-8 (e.g. iconv -t UTF-8).'}, 'E_BAD_ENCODING')}
  }

  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    // The parser's message can quote the line, which may hold patient text: report only its position.
    const position = /position (\d+)/.exec((error as Error).message)?.[1]
    const where = position === undefined ? '' : ` near character ${position}`
    return {line, error: new InputError(`line ${line} is not valid JSON${where}`, {hint: 'Each input line must be one JSON object, e.g. {"id":1,"text":"..."}.'}, 'E_BAD_JSON')}
  }

  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {line, error: new InputError(`line ${line} is JSON but not an object`, {hint: 'Each input line must be one JSON object, e.g. {"id":1,"text":"..."}.'}, 'E_NOT_OBJECT')}
  }

  return {line, value: value as Record<string, unknown>}
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

function firstNonBlankByte(bytes: Buffer): number | undefined {
  const start = bytes.subarray(0, 3).equals(BOM) ? 3 : 0
  for (let i = start; i < bytes.length; i++) {
    if (!isBlankByte(bytes[i])) return bytes[i]
  }

  return undefined
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
