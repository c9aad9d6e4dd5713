import {describe, expect, it} from 'vitest'

import {EngineError, InterruptedError, PartialFailureError} from '../../../src/lib/errors/index.js'
import {runTask, type ParallelDecision, type RecordReport} from '../../../src/lib/pipeline/index.js'
import {PROBE_RECORDS, WARMUP_RECORDS} from '../../../src/lib/pipeline/concurrency.js'
import type {Task} from '../../../src/lib/tasks/index.js'
import {memoryWriter, sourceOf} from '../../helpers/streams.js'
import {CONTENDED_FAIL_MARKER, contendedEngine} from '../tasks/contended-engine.js'

const settings = {maxTokens: 8, temperature: 0}
const batching = (active: number): number => active
const contention = (active: number): number => (active === 1 ? 1 : 0.6)

/** One model call per record; the output is the engine's reply. */
const upperTask: Task<string> = {
  name: 'upper',
  outputField: 'out',
  async run(text, {engine, settings, signal}) {
    return (await engine.chat({system: 's', user: text, maxTokens: settings.maxTokens, signal})).text
  },
  renderText: (out) => out,
}

function ndjson(count: number, text = (i: number) => `note ${i}`): string {
  return Array.from({length: count}, (_, i) => JSON.stringify({id: `r${i}`, text: text(i)})).join('\n') + '\n'
}

async function autoRun(rate: (active: number) => number, input: string, extra: Partial<Parameters<typeof runTask>[0]> = {}) {
  const engine = contendedEngine(rate)
  const writer = memoryWriter()
  const decisions: Array<ParallelDecision | undefined> = []
  const reports: RecordReport[] = []
  const run = runTask({
    task: upperTask,
    engine,
    source: await sourceOf(input),
    writer,
    settings,
    parallel: 'auto',
    onParallelDecision: (decision) => decisions.push(decision),
    onRecordDone: (report) => reports.push(report),
    ...extra,
  })
  return {engine, writer, decisions, reports, run}
}

describe('-j auto (runTask with parallel: auto)', () => {
  it('keeps 4 at once when batching makes it faster, with ids and order intact', async () => {
    const {engine, writer, decisions, reports, run} = await autoRun(batching, ndjson(40))
    await expect(run).resolves.toMatchObject({records: 40, failed: 0})
    expect(decisions).toHaveLength(1)
    expect(decisions[0]).toMatchObject({sequences: 4, chosen: 4})
    expect(decisions[0]!.parallelTokensPerSecond).toBeGreaterThan(decisions[0]!.singleTokensPerSecond * 2)
    expect(writer.records()).toEqual(Array.from({length: 40}, (_, i) => ({id: `r${i}`, text: `note ${i}`, out: `NOTE ${i}`})))
    // The probe ran one record at a time first, and never more than the engine's sequences.
    expect(engine.activeAtStart.slice(0, WARMUP_RECORDS + PROBE_RECORDS)).toEqual([1, 1, 1, 1])
    expect(engine.maxActive).toBe(4)
    expect(reports.slice(0, WARMUP_RECORDS + PROBE_RECORDS).map((r) => r.parallel)).toEqual([1, 1, 1, 1])
    expect(reports.at(-1)!.parallel).toBe(4)
  })

  it('goes back to 1 at once when more at once is slower, with ids and order intact', async () => {
    const {engine, writer, decisions, reports, run} = await autoRun(contention, ndjson(30))
    await expect(run).resolves.toMatchObject({records: 30, failed: 0})
    expect(decisions).toEqual([expect.objectContaining({sequences: 4, chosen: 1})])
    expect(writer.records().map((r) => r.id)).toEqual(Array.from({length: 30}, (_, i) => `r${i}`))
    expect(writer.records().map((r) => r.out)).toEqual(Array.from({length: 30}, (_, i) => `NOTE ${i}`))
    expect(engine.maxActive).toBe(4)
    // After the decision every record ran alone.
    expect(reports.slice(10).every((r) => r.parallel === 1)).toBe(true)
    expect(engine.activeAtStart.slice(-20).every((active) => active === 1)).toBe(true)
  })

  it('lets a parallel probe only a little slower than one at a time finish its records before going back to 1', async () => {
    const {decisions, writer, run} = await autoRun((active) => (active === 1 ? 1 : 0.9), ndjson(20))
    await expect(run).resolves.toMatchObject({records: 20, failed: 0})
    // All 4 probe records finished (none stopped and redone); only records let in after them may be, barely begun.
    expect(decisions).toEqual([expect.objectContaining({chosen: 1, parallelRecords: 4})])
    expect(writer.records().map((r) => r.out)).toEqual(Array.from({length: 20}, (_, i) => `NOTE ${i}`))
  })

  it('measures records of any size by their share of the machine', async () => {
    // The first 4 records (one at a time) need 30 ms each; then every fourth needs 10 ms and the others 60 ms.
    const work = (request: {user: string}): number => {
      const i = Number(request.user.split(' ')[1])
      return i < 4 ? 30 : i % 4 === 0 ? 10 : 60
    }

    const engine = contendedEngine((active) => (active === 1 ? 1 : 0.9), work)
    const decisions: Array<ParallelDecision | undefined> = []
    const writer = memoryWriter()
    await runTask({task: upperTask, engine, source: await sourceOf(ndjson(16)), writer, settings, parallel: 'auto', onParallelDecision: (d) => decisions.push(d)})
    expect(decisions).toEqual([expect.objectContaining({chosen: 1})])
    const [{singleTokensPerSecond, parallelTokensPerSecond, parallelRecords, redone}] = decisions as ParallelDecision[]
    expect(parallelRecords).toBeGreaterThan(0)
    expect(parallelTokensPerSecond / singleTokensPerSecond).toBeGreaterThan(0.6)
    expect(parallelTokensPerSecond / singleTokensPerSecond).toBeLessThan(1.1)
    // The 60 ms records under way are well past a tenth of their work: they finish rather than start again.
    expect(redone).toBeLessThanOrEqual(1)
    expect(engine.aborted).toBe(redone)
    expect(writer.records().map((r) => r.out)).toEqual(Array.from({length: 16}, (_, i) => `NOTE ${i}`))
  })

  it('stops and redoes one at a time the probe records of a parallel collapse, so it costs at most the probe time', async () => {
    const collapse = (active: number): number => (active === 1 ? 1 : 0.05)
    const started = performance.now()
    const {engine, writer, decisions, reports, run} = await autoRun(collapse, ndjson(20))
    await expect(run).resolves.toMatchObject({records: 20, failed: 0})
    // 20 records one at a time take 600 ms; four at once here would take 2.4 s before the first one is done.
    expect(performance.now() - started).toBeLessThan(1500)
    expect(decisions).toEqual([expect.objectContaining({chosen: 1, parallelRecords: 0, parallelTokensPerSecond: 0, redone: 4})])
    expect(engine.aborted).toBe(4)
    expect(writer.records()).toEqual(Array.from({length: 20}, (_, i) => ({id: `r${i}`, text: `note ${i}`, out: `NOTE ${i}`})))
    expect(reports.map((r) => r.parallel)).toEqual(Array.from({length: 20}, () => 1))
    expect(reports.every((r) => r.calls === 1 && r.promptTokens === 100)).toBe(true)
  })

  it('writes error records in place and ends with a partial failure (exit 9)', async () => {
    const lines = ndjson(20).trim().split('\n')
    lines[1] = '{"id":"r1",'
    lines[5] = '{"id":"r5","note":"no text"}'
    lines[12] = JSON.stringify({id: 'r12', text: CONTENDED_FAIL_MARKER})
    const {writer, run} = await autoRun(batching, lines.join('\n') + '\n')
    await expect(run).rejects.toBeInstanceOf(PartialFailureError)
    await expect(run).rejects.toMatchObject({exitCode: 9, details: {failed: 3, total: 20}})
    const out = writer.records()
    expect(out).toHaveLength(20)
    expect(out[1]).toEqual({line: 2, error: expect.objectContaining({code: 'E_BAD_JSON'})})
    expect(out[5]).toEqual({id: 'r5', error: expect.objectContaining({code: 'E_FIELD_MISSING'})})
    expect(out[12]).toEqual({id: 'r12', error: expect.objectContaining({code: 'E_GENERATE'})})
    for (const i of [0, 2, 11, 13, 19]) expect(out[i]).toMatchObject({id: `r${i}`, out: `NOTE ${i}`})
  })

  it('stops at the first failure with --fail-fast and throws that error', async () => {
    const {writer, run} = await autoRun(batching, ndjson(30, (i) => (i === 9 ? CONTENDED_FAIL_MARKER : `note ${i}`)), {failFast: true})
    await expect(run).rejects.toBeInstanceOf(EngineError)
    expect(writer.records().map((r) => r.id)).toEqual(Array.from({length: 10}, (_, i) => `r${i}`))
  })

  it('stops on abort with an InterruptedError, writing only whole records in order', async () => {
    const controller = new AbortController()
    const engine = contendedEngine(batching)
    const writer = memoryWriter()
    const task: Task<string> = {
      ...upperTask,
      async run(text, context) {
        if (text === 'note 12') controller.abort()
        return upperTask.run(text, context)
      },
    }
    const run = runTask({task, engine, source: await sourceOf(ndjson(40)), writer, settings, parallel: 'auto', signal: controller.signal})
    await expect(run).rejects.toBeInstanceOf(InterruptedError)
    expect(writer.records().length).toBeLessThan(13)
    for (const [i, record] of writer.records().entries()) expect(record.id).toBe(`r${i}`)
  })

  it('skips done records (--resume) and reports too few records to compare', async () => {
    const {writer, decisions, run} = await autoRun(batching, ndjson(5), {skip: (ref) => ref.id !== 'r1' && ref.id !== 'r3'})
    await expect(run).resolves.toMatchObject({records: 2, skipped: 3})
    expect(writer.records().map((r) => r.id)).toEqual(['r1', 'r3'])
    expect(decisions).toEqual([undefined])
  })

  it('runs as -j 1 without probing when only one sequence is loaded', async () => {
    const {engine, decisions, reports, run} = await autoRun(batching, ndjson(12), {sequences: 1})
    await expect(run).resolves.toMatchObject({records: 12})
    // -j 1's window: two records started, the second waiting for the engine's one sequence (this fake does not queue).
    expect(engine.maxActive).toBe(2)
    expect(reports.every((r) => r.parallel === 1)).toBe(true)
    expect(decisions).toEqual([])
  })

  it('keeps a fixed -j N as it was: N sequences busy from the start, no probe', async () => {
    const {engine, decisions, reports, run} = await autoRun(batching, ndjson(16), {parallel: 4})
    await expect(run).resolves.toMatchObject({records: 16})
    expect(engine.activeAtStart.slice(0, 4)).toEqual([1, 2, 3, 4])
    expect(decisions).toEqual([])
    expect(reports.every((r) => r.parallel === 4)).toBe(true)
  })
})
