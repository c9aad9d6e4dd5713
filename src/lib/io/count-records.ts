import {createReadStream} from 'node:fs'
import {stat} from 'node:fs/promises'

import type {InputFormat} from './read-records.js'

const BOM = [0xef, 0xbb, 0xbf]

/**
 * How many records {@link openRecords} will yield for a file, read once ahead of the run so that progress can show a
 * total and an ETA: none for an empty or blank file, 1 for a plain-text document, else the non-blank lines (bad lines
 * too: each becomes an error record). `auto` decides as openRecords does, on the first non-blank character (an input
 * openRecords refuses, such as a header line before NDJSON, fails the run anyway: its count does not matter). Undefined for anything but a
 * regular file: reading a pipe (`-i <(zcat notes.gz)`, `/dev/stdin`) would take the records from the run. Throws the
 * read error as it is.
 */
export async function countRecords(path: string, format: InputFormat = 'auto'): Promise<number | undefined> {
  if (!(await stat(path)).isFile()) return undefined
  // `auto` becomes NDJSON at a first non-blank `{`, and a text document (one record) at anything else.
  let ndjson = format === 'ndjson'
  let records = 0
  let lineHasText = false
  let offset = 0
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (const byte of chunk) {
      // A byte-order mark at the very start is not text (openRecords strips it).
      const inBom = offset < 3 && byte === BOM[offset]
      offset++
      if (inBom) continue
      if (byte === 0x0a) {
        if (lineHasText) records++
        lineHasText = false
      } else if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) {
        lineHasText = true
        if (format === 'text' || (!ndjson && byte !== 0x7b)) return 1
        ndjson = true
      }
    }
  }

  if (lineHasText) records++
  return records
}
