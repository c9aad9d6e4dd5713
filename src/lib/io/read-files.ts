import type {Readable} from 'node:stream'

import {InputError} from '../errors/index.js'
import {checkInputPath, openInput} from './output.js'
import {openRecords, type InputRecord, type OpenRecordsOptions, type RecordSource} from './read-records.js'

/** Options of {@link openInputs}. */
export interface OpenInputsOptions extends Pick<OpenRecordsOptions, 'field' | 'format' | 'maxLineBytes'> {
  /** The field a text file's name goes in, as its id; default `id`. */
  idField?: string
  /** Called when stdin is a terminal, before it is read. */
  onTerminal?: () => void
  /** Called for each empty input among several (it gives no record). */
  onEmpty?: (path: string) => void
}

/**
 * The records of one or more inputs (`-` is stdin), in order: each input is read as NDJSON or as one text document
 * by its own content (see openRecords), and a text document read from a file gets the path as given for its id.
 * One input is read as openRecords reads it (its format, its errors). Several are NDJSON: line numbers count on
 * from one input to the next (as if each ended with a newline), an input that is refused as a whole (a JSON array,
 * a header line) becomes one error record carrying its path as id, and an empty input gives no record
 * (`onEmpty`). Every path is checked before anything is read, so that a directory or a missing file fails first.
 */
export async function openInputs(paths: string[], options: OpenInputsOptions = {}): Promise<RecordSource> {
  const sizes = await Promise.all(paths.map((path) => (path === '-' ? undefined : checkInputPath(path))))
  const idField = options.idField ?? 'id'
  const fieldsOf = (path: string): Record<string, unknown> | undefined => (path === '-' ? undefined : {[idField]: path})
  if (paths.length === 1) {
    return openRecords(await openInput(paths[0], options.onTerminal), {...options, documentFields: fieldsOf(paths[0])})
  }

  const empty = sizes.every((size) => size === 0)
  return {format: 'ndjson', empty, records: empty ? none() : readAll(paths, options, fieldsOf)}
}

async function* readAll(paths: string[], options: OpenInputsOptions, fieldsOf: (path: string) => Record<string, unknown> | undefined): AsyncGenerator<InputRecord> {
  let offset = 0
  for (const path of paths) {
    const counter = countLines(await openInput(path, options.onTerminal))
    const name = path === '-' ? 'stdin' : path
    let source: RecordSource | undefined
    try {
      source = await openRecords(counter.chunks, {...options, lineOffset: offset, name, documentFields: fieldsOf(path)})
    } catch (error) {
      if (!(error instanceof InputError)) throw error
      yield {line: offset + 1, error, ...(path === '-' ? {} : {id: path})}
    }

    if (source?.empty) options.onEmpty?.(name)
    if (source) yield* source.records
    // What was not read as records (an input refused as a whole) is still counted, and its file closed.
    for await (const _chunk of counter.chunks) {
      // drained for the line count
    }

    offset += counter.lines()
  }
}

/** The chunks of a stream, and its line count once they are read (an unterminated last line counts). */
function countLines(stream: Readable): {chunks: AsyncGenerator<Buffer>; lines: () => number} {
  let newlines = 0
  let last: number | undefined
  const chunks = (async function* (): AsyncGenerator<Buffer> {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      for (const byte of buffer) if (byte === 0x0a) newlines++
      if (buffer.length > 0) last = buffer.at(-1)
      yield buffer
    }
  })()
  return {chunks, lines: () => newlines + (last !== undefined && last !== 0x0a ? 1 : 0)}
}

async function* none(): AsyncGenerator<InputRecord> {}
