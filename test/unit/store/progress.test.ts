import {Writable} from 'node:stream'

import {describe, expect, it} from 'vitest'

import {createDownloadProgress, formatDuration} from '../../../src/lib/cli/index.js'
import {formatBytes} from '../../../src/lib/format/index.js'
import type {DownloadProgress} from '../../../src/lib/store/index.js'

function sink(isTTY: boolean): Writable & {text: () => string; isTTY: boolean; columns: number} {
  let text = ''
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      text += String(chunk)
      callback()
    },
  })
  return Object.assign(stream, {text: () => text, isTTY, columns: 100})
}

const event = (doneBytes: number, extra: Partial<DownloadProgress> = {}): DownloadProgress => ({
  name: 'model-Q4_K_M.gguf',
  phase: 'downloading',
  doneBytes,
  totalBytes: 1_000_000,
  resumedFromBytes: 0,
  bytesPerSecond: 250_000,
  etaMs: ((1_000_000 - doneBytes) / 250_000) * 1000,
  ...extra,
})

describe('download progress on stderr', () => {
  it('prints plain lines when the stream is not a TTY: start, every 10 points (at most once a second), end', () => {
    let clock = 0
    const stream = sink(false)
    const progress = createDownloadProgress({stream, now: () => clock})
    for (let done = 0; done <= 1_000_000; done += 25_000) {
      clock += 100
      progress.update(event(done))
    }

    const lines = stream.text().trimEnd().split('\n')
    expect(lines[0]).toBe('model-Q4_K_M.gguf: downloading (1.0 MB)')
    expect(lines.at(-1)).toMatch(/^model-Q4_K_M\.gguf: 1\.0 MB done in 4\.0 s \(250 kB\/s\)$/)
    expect(lines.length).toBeGreaterThan(3)
    expect(lines.length).toBeLessThanOrEqual(6)
    expect(stream.text()).not.toContain('\r')
  })

  it('says when a download resumes', () => {
    const stream = sink(false)
    createDownloadProgress({stream}).update(event(400_000, {resumedFromBytes: 400_000}))
    expect(stream.text()).toBe('model-Q4_K_M.gguf: downloading (1.0 MB), resuming at 40%\n')
  })

  it('redraws one bar line on a TTY with bytes, speed and ETA, and ends it with a newline', () => {
    let clock = 0
    const stream = sink(true)
    const progress = createDownloadProgress({stream, now: () => clock})
    progress.update(event(0))
    clock += 500
    progress.update(event(500_000))
    clock += 10
    progress.update(event(510_000)) // too soon: skipped
    clock += 500
    progress.update(event(1_000_000))
    const draws = stream.text().split('\r\u001B[2K').filter(Boolean)
    expect(draws).toHaveLength(3)
    expect(draws[1]).toMatch(/^downloading model-Q4_K_M\.gguf \[#+\.+] {2}50% 500 kB\/1\.0 MB {2}250 kB\/s {2}ETA 0:02$/)
    expect(stream.text().endsWith('\n')).toBe(true)
  })

  it('is silent with quiet', () => {
    const stream = sink(true)
    const progress = createDownloadProgress({stream, quiet: true})
    progress.update(event(1))
    progress.finish()
    expect(stream.text()).toBe('')
  })

  it('formats sizes and durations', () => {
    expect([0, 999, 1000, 571_904, 2_489_894_720].map((bytes) => formatBytes(bytes))).toEqual(['0 B', '999 B', '1.0 kB', '572 kB', '2.5 GB'])
    expect([undefined, 0, 61_000, 3_725_000].map(formatDuration)).toEqual(['--:--', '0:00', '1:01', '1:02:05'])
  })
})
