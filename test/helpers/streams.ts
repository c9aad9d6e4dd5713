import {Readable} from 'node:stream'

import {openRecords, type LineWriter, type RecordSource} from '../../src/lib/io/index.js'

/** A record source over an in-memory string, as `openRecords` would make it from stdin. */
export function sourceOf(text: string, format: 'auto' | 'ndjson' | 'text' = 'auto'): Promise<RecordSource> {
  return openRecords(Readable.from([Buffer.from(text)]), {format})
}

/** A LineWriter that keeps what it is given. */
export function memoryWriter(): LineWriter & {lines: string[]; records: () => Array<Record<string, unknown>>} {
  const lines: string[] = []
  return {
    lines,
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    async writeRecord(record) {
      lines.push(JSON.stringify(record))
    },
    async writeText(text) {
      lines.push(text)
    },
  }
}
