import {once} from 'node:events'
import type {Writable} from 'node:stream'

/** Writes whole lines to a stream, waiting for `drain` so that memory stays bounded on slow consumers. */
export interface LineWriter {
  /** Writes one record as a single JSON line (`JSON.stringify` + `\n`, never `os.EOL`). */
  writeRecord(record: unknown): Promise<void>
  /** Writes text followed by a newline when it lacks one. */
  writeText(text: string): Promise<void>
}

/** Creates a {@link LineWriter} over `output` (usually `process.stdout`). */
export function createLineWriter(output: Writable): LineWriter {
  const write = async (chunk: string): Promise<void> => {
    if (!output.write(chunk)) await once(output, 'drain')
  }

  return {
    writeRecord: (record) => write(JSON.stringify(record) + '\n'),
    writeText: (text) => write(text.endsWith('\n') ? text : text + '\n'),
  }
}
