import {Writable} from 'node:stream'

import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {
  createStepProgress,
  createTaskProgress,
  estimateRemainingMs,
  fitToWidth,
  formatDoneOfTotal,
  formatRate,
  formatRecordProgress,
  formatRecordSummary,
  progressIntervalMs,
  type ProgressOptions,
} from '../../../src/lib/cli/index.js'

const state = {done: 0, failed: 0, skipped: 0, outputTokens: 0, elapsedMs: 0}
const counts = {done: 0, failed: 0, skipped: 0, promptTokens: 0, outputTokens: 0}

/** A stderr stand-in that keeps what is written, as a TTY of `columns` or as a pipe. */
function capture(tty?: {columns: number}): {stream: NonNullable<ProgressOptions['stream']>; lines: () => string[]; text: () => string} {
  let text = ''
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, callback) {
        text += String(chunk)
        callback()
      },
    }),
    // ora draws through the TTY cursor methods.
    tty ? {isTTY: true, columns: tty.columns, cursorTo: () => true, clearLine: () => true, moveCursor: () => true} : {},
  )
  return {stream, text: () => text, lines: () => text.split('\n').filter(Boolean)}
}

describe('formatRate', () => {
  it('gives two decimals below 1/s, one below 10/s, whole numbers with separators above', () => {
    expect(formatRate(1, 4000)).toBe('0.25')
    expect(formatRate(34, 10_000)).toBe('3.4')
    expect(formatRate(270, 10_000)).toBe('27')
    expect(formatRate(12_345, 10_000)).toBe('1,235')
  })

  it('is unknown before any time has passed', () => {
    expect(formatRate(5, 0)).toBeUndefined()
    expect(formatRate(5, Number.NaN)).toBeUndefined()
  })
})

describe('estimateRemainingMs', () => {
  it('extrapolates the mean time per record over the records left', () => {
    expect(estimateRemainingMs({done: 10, skipped: 0, total: 40, elapsedMs: 20_000})).toBe(60_000)
  })

  it('does not count skipped records as work done or left', () => {
    expect(estimateRemainingMs({done: 10, skipped: 20, total: 40, elapsedMs: 20_000})).toBe(20_000)
  })

  it('is unknown without a total or before the first record, and never negative', () => {
    expect(estimateRemainingMs({done: 10, skipped: 0, elapsedMs: 20_000})).toBeUndefined()
    expect(estimateRemainingMs({done: 0, skipped: 0, total: 40, elapsedMs: 20_000})).toBeUndefined()
    expect(estimateRemainingMs({done: 50, skipped: 0, total: 40, elapsedMs: 20_000})).toBe(0)
  })
})

describe('formatDoneOfTotal', () => {
  it('shows done/total with a total and done alone without; skipped records count as done', () => {
    expect(formatDoneOfTotal({done: 3, skipped: 0, total: 10})).toBe('3/10')
    expect(formatDoneOfTotal({done: 3, skipped: 2, total: 10})).toBe('5/10')
    expect(formatDoneOfTotal({done: 3, skipped: 0})).toBe('3')
  })

  it('never shows more done than the total', () => {
    expect(formatDoneOfTotal({done: 12, skipped: 0, total: 10})).toBe('12/12')
  })
})

describe('formatRecordProgress', () => {
  const running = {...state, done: 10, total: 40, outputTokens: 600, elapsedMs: 20_000}

  it('puts counts, rates and the ETA on one line in both styles', () => {
    for (const style of ['live', 'plain'] as const) {
      const line = formatRecordProgress('ner', running, style)
      expect(line).not.toContain('\n')
      expect(line).toContain('10/40')
      expect(line).toContain('0.50')
      expect(line).toContain('30 tok')
      expect(line).toContain('ETA 1:00')
    }

    expect(formatRecordProgress('ner', running, 'plain')).toContain('(25%)')
  })

  it('leaves out the rates before the first record and the ETA without a total', () => {
    const line = formatRecordProgress('ner', {...state, elapsedMs: 5000}, 'plain')
    expect(line).not.toMatch(/\/s|ETA/)
    expect(formatRecordProgress('ner', {...running, total: undefined}, 'live')).not.toContain('ETA')
  })

  it('counts failed records only when there are some', () => {
    expect(formatRecordProgress('ner', {...running, failed: 2}, 'live')).toContain('2 failed')
    expect(formatRecordProgress('ner', running, 'live')).not.toContain('failed')
  })
})

describe('formatRecordSummary', () => {
  it('gives the records, the time and the rates, with failed and skipped counts when any', () => {
    const line = formatRecordSummary('soap', {...state, done: 4, failed: 1, skipped: 2, outputTokens: 80, elapsedMs: 8000})
    expect(line).toContain('4 records in 0:08')
    expect(line).toContain('0.50')
    expect(line).toContain('1 failed')
    expect(line).toContain('2 skipped')
  })
})

describe('fitToWidth', () => {
  it('keeps a line shorter than the terminal, and leaves it whole when the width is unknown', () => {
    expect(fitToWidth('abcdefghij', 8)).toBe('abcdef…')
    expect(fitToWidth('abcdefghij', 8).length).toBeLessThan(8)
    expect(fitToWidth('abc', 8)).toBe('abc')
    expect(fitToWidth('abcdefghij', 0)).toBe('abcdefghij')
  })
})

describe('progressIntervalMs', () => {
  it('reads seconds from JSL_MED_PROGRESS_INTERVAL, 10 s when unset or not a number', () => {
    expect(progressIntervalMs({})).toBe(10_000)
    expect(progressIntervalMs({JSL_MED_PROGRESS_INTERVAL: '0.5'})).toBe(500)
    expect(progressIntervalMs({JSL_MED_PROGRESS_INTERVAL: '0'})).toBe(0)
    expect(progressIntervalMs({JSL_MED_PROGRESS_INTERVAL: 'soon'})).toBe(10_000)
    expect(progressIntervalMs({JSL_MED_PROGRESS_INTERVAL: '-1'})).toBe(10_000)
  })
})

describe('createTaskProgress on a non-terminal stream', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('prints nothing for a run shorter than the interval', () => {
    const out = capture()
    const progress = createTaskProgress('ner', {quiet: false, stream: out.stream, intervalMs: 10_000})
    progress.update({stage: 'loading', model: 'm.gguf'})
    progress.update({stage: 'running', ...counts, done: 1})
    progress.update({stage: 'finished'})
    progress.stop()
    expect(out.text()).toBe('')
  })

  it('prints a line every interval, also when nothing changed, and a summary line at the end', () => {
    const out = capture()
    const progress = createTaskProgress('ner', {quiet: false, stream: out.stream, intervalMs: 10_000})
    progress.update({stage: 'loading', model: 'm.gguf'})
    vi.advanceTimersByTime(10_000)
    progress.update({stage: 'running', ...counts, total: 3})
    progress.update({stage: 'running', ...counts, done: 1, total: 3})
    vi.advanceTimersByTime(20_000)
    progress.update({stage: 'finished'})
    vi.advanceTimersByTime(30_000)
    progress.stop()
    const lines = out.lines()
    expect(lines).toHaveLength(4)
    expect(lines[0]).toContain('m.gguf')
    expect(lines[1]).toContain('1/3')
    expect(lines[2]).toContain('1/3')
    expect(lines[3]).toContain('1 record')
  })

  it('prints a line at every change with an interval of 0', () => {
    const out = capture()
    const progress = createTaskProgress('ner', {quiet: false, stream: out.stream, intervalMs: 0})
    progress.update({stage: 'loading', model: 'm.gguf'})
    for (let done = 0; done <= 3; done++) progress.update({stage: 'running', ...counts, done, total: 3})
    progress.stop()
    expect(out.lines()).toHaveLength(6)
    expect(out.lines()[4]).toContain('3/3')
  })

  it('prints nothing when quiet', () => {
    const out = capture()
    const progress = createTaskProgress('ner', {quiet: true, stream: out.stream, intervalMs: 0})
    progress.update({stage: 'loading', model: 'm.gguf'})
    progress.update({stage: 'running', ...counts, done: 1})
    vi.advanceTimersByTime(60_000)
    progress.stop()
    expect(out.text()).toBe('')
  })

  it('prints plain lines, not a redrawn line, on a terminal of 0 columns', () => {
    const out = capture({columns: 0})
    const progress = createTaskProgress('ner', {quiet: false, stream: out.stream, intervalMs: 0})
    progress.update({stage: 'running', ...counts, done: 1})
    progress.stop()
    expect(out.text()).not.toContain('\u001B')
    expect(out.lines()).toHaveLength(2)
  })
})

describe('createTaskProgress on a terminal', () => {
  it('redraws one line that fits the width, and clears it at the end', async () => {
    const out = capture({columns: 30})
    const progress = createTaskProgress('summarize', {quiet: false, stream: out.stream, intervalMs: 0})
    progress.update({stage: 'running', ...counts, done: 7, total: 1000, outputTokens: 500})
    // ora loads in the background: the line shows once it has.
    await import('ora')
    await new Promise((resolve) => setTimeout(resolve, 0))
    progress.stop()
    const drawn = out.text().replaceAll(/\u001B\[[\d;?]*[A-Za-z]/g, '\n').split('\n').filter(Boolean)
    expect(drawn.length).toBeGreaterThan(0)
    for (const line of drawn) expect(line.length).toBeLessThan(30)
    expect(out.text()).toContain('\u001B')
  })
})

describe('createStepProgress', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('prints the current step at each interval, a repeated step once with an interval of 0, and a last line', () => {
    const out = capture()
    const progress = createStepProgress('bench', {quiet: false, stream: out.stream, intervalMs: 0})
    progress.step('loading')
    progress.step('loading')
    progress.step('pp16 1/2')
    progress.stop()
    progress.stop()
    expect(out.lines()).toHaveLength(3)
    expect(out.lines()[1]).toContain('pp16 1/2')

    const timed = capture()
    const slow = createStepProgress('bench', {quiet: false, stream: timed.stream, intervalMs: 10_000})
    slow.step('tg128 1/5')
    vi.advanceTimersByTime(25_000)
    slow.stop()
    expect(timed.lines()).toHaveLength(3)
    expect(timed.lines()[0]).toContain('tg128 1/5')
  })
})
