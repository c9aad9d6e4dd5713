import {describe, expect, it} from 'vitest'

import {createEngine, ECHO_FAIL_MARKER, type Engine} from '../../../src/lib/engine/index.js'
import {EngineError, InterruptedError, PartialFailureError} from '../../../src/lib/errors/index.js'
import {runTask} from '../../../src/lib/pipeline/index.js'
import {summarizeTask, type Task} from '../../../src/lib/tasks/index.js'
import {memoryWriter, sourceOf} from '../../helpers/streams.js'

const settings = {maxTokens: 3, temperature: 0}
const echo = await createEngine({kind: 'echo'})

/** A task whose records finish in a scrambled order, to prove the output order does not follow completion. */
const slowTask: Task<string> = {
  name: 'slow',
  outputField: 'out',
  async run(text) {
    await new Promise((resolve) => setTimeout(resolve, (text.length * 7) % 13))
    return text.toUpperCase()
  },
  renderText: (out) => out,
}

function ndjson(records: unknown[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n'
}

describe('runTask', () => {
  it('adds the output field and keeps every input field, one line per record', async () => {
    const writer = memoryWriter()
    const summary = await runTask({task: summarizeTask, engine: echo, source: await sourceOf(ndjson([{id: 'a', text: 'one two three four', mrn: 7}])), writer, settings})
    expect(writer.records()).toEqual([{id: 'a', text: 'one two three four', mrn: 7, summary: 'one two three'}])
    expect(summary).toMatchObject({records: 1, failed: 0})
  })

  it('carries the line number when a record has no id', async () => {
    const writer = memoryWriter()
    await runTask({task: summarizeTask, engine: echo, source: await sourceOf(ndjson([{text: 'a'}, {text: 'b'}])), writer, settings})
    expect(writer.records().map((r) => r.line)).toEqual([1, 2])
  })

  it('keeps input order with many records in flight', async () => {
    const records = Array.from({length: 40}, (_, i) => ({id: i, text: 'x'.repeat(i)}))
    const writer = memoryWriter()
    await runTask({task: slowTask, engine: echo, source: await sourceOf(ndjson(records)), writer, settings, parallel: 8})
    expect(writer.records().map((r) => r.id)).toEqual(records.map((r) => r.id))
    expect(writer.records().map((r) => r.out)).toEqual(records.map((r) => r.text.toUpperCase()))
  })

  it('writes error records in place and ends with a partial failure (exit 9)', async () => {
    const input = ['{"id":"a","text":"fine"}', '{"id":"b",', '{"id":"c","note":"no text field"}', `{"id":"d","text":"${ECHO_FAIL_MARKER}"}`, '{"text":"fine"}'].join('\n')
    const writer = memoryWriter()
    const errors: string[] = []
    const run = runTask({task: summarizeTask, engine: echo, source: await sourceOf(input), writer, settings, onRecordError: (e) => errors.push(e.code)})
    await expect(run).rejects.toBeInstanceOf(PartialFailureError)
    await expect(run).rejects.toMatchObject({exitCode: 9, details: {failed: 3, total: 5}})
    const out = writer.records()
    expect(out).toHaveLength(5)
    expect(out[0]).toMatchObject({id: 'a', summary: 'fine'})
    expect(out[1]).toEqual({line: 2, error: expect.objectContaining({code: 'E_BAD_JSON'})})
    expect(out[2]).toEqual({id: 'c', error: expect.objectContaining({code: 'E_FIELD_MISSING', hint: expect.stringContaining('--field')})})
    expect(out[3]).toEqual({id: 'd', error: expect.objectContaining({code: 'E_GENERATE'})})
    expect(out[4]).toMatchObject({line: 5, summary: 'fine'})
    expect(errors).toEqual(['E_BAD_JSON', 'E_FIELD_MISSING', 'E_GENERATE'])
  })

  it('stops at the first failure with --fail-fast and throws that error', async () => {
    const input = ndjson([{id: 1, text: 'ok'}, {id: 2, text: ECHO_FAIL_MARKER}, {id: 3, text: 'never'}])
    const writer = memoryWriter()
    await expect(runTask({task: summarizeTask, engine: echo, source: await sourceOf(input), writer, settings, failFast: true})).rejects.toBeInstanceOf(EngineError)
    expect(writer.records().map((r) => r.id)).toEqual([1, 2])
  })

  it('uses --field and --id-field', async () => {
    const writer = memoryWriter()
    await runTask({task: summarizeTask, engine: echo, source: await sourceOf(ndjson([{pid: 'p1', note: 'a b'}, {pid: 'p2'}])), writer, settings, field: 'note', idField: 'pid'}).catch(() => {})
    expect(writer.records()).toEqual([
      {pid: 'p1', note: 'a b', summary: 'a b'},
      {pid: 'p2', error: expect.objectContaining({code: 'E_FIELD_MISSING'})},
    ])
  })

  it('writes plain text for a text document and throws its own error when it fails', async () => {
    const writer = memoryWriter()
    await runTask({task: summarizeTask, engine: echo, source: await sourceOf('Pt is a 67yo M with CHF.'), writer, settings})
    expect(writer.lines).toEqual(['Pt is a'])

    const failing = runTask({task: summarizeTask, engine: echo, source: await sourceOf(`note ${ECHO_FAIL_MARKER}`), writer: memoryWriter(), settings})
    await expect(failing).rejects.toBeInstanceOf(EngineError)
  })

  it('writes NDJSON for a text document with --format ndjson', async () => {
    const writer = memoryWriter()
    await runTask({task: summarizeTask, engine: echo, source: await sourceOf('a b c d e'), writer, settings, outputFormat: 'ndjson'})
    expect(writer.records()).toEqual([{text: 'a b c d e', line: 1, summary: 'a b c'}])
  })

  it('stops on abort and throws an InterruptedError, writing only whole records', async () => {
    const controller = new AbortController()
    const records = Array.from({length: 20}, (_, i) => ({id: i, text: 'x'.repeat(i)}))
    const writer = memoryWriter()
    const task: Task<string> = {
      ...slowTask,
      async run(text, context) {
        if (text.length === 5) controller.abort()
        return slowTask.run(text, context)
      },
    }
    await expect(runTask({task, engine: echo, source: await sourceOf(ndjson(records)), writer, settings, signal: controller.signal})).rejects.toBeInstanceOf(InterruptedError)
    expect(writer.records().length).toBeLessThan(20)
    for (const [i, record] of writer.records().entries()) expect(record.id).toBe(i)
  })

  it('never lets a record error quote the record text', async () => {
    const secret = 'SECRET-PATIENT-NAME'
    const engine: Engine = {...echo, chat: async () => Promise.reject(new Error('boom'))}
    const writer = memoryWriter()
    await runTask({task: summarizeTask, engine, source: await sourceOf(ndjson([{id: 1, text: secret}, {id: 2, [secret]: 1}])), writer, settings}).catch(() => {})
    expect(writer.lines.join('\n')).not.toContain(secret)
    expect(writer.records()[0]).toMatchObject({id: 1, error: {code: 'E_INTERNAL'}})
  })
})
