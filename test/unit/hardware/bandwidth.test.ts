import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {cachedBandwidth, measureBandwidth} from '../../../src/lib/hardware/index.js'

describe('cachedBandwidth', () => {
  let dir: string
  let cachePath: string
  let measured: number
  const measure = async (): Promise<number> => {
    measured++
    return 10e9 + measured
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-bandwidth-'))
    cachePath = join(dir, 'sub', 'bandwidth.json')
    measured = 0
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))

  it('measures once, then answers from the cache with the date of the measurement', async () => {
    const first = await cachedBandwidth({timeoutMs: 1000, cachePath, measure, now: new Date('2026-03-01T10:00:00Z')})
    const second = await cachedBandwidth({timeoutMs: 1000, cachePath, measure, now: new Date('2026-03-05T10:00:00Z')})
    expect(first).toEqual({bytesPerSecond: 10e9 + 1, measuredAt: '2026-03-01T10:00:00.000Z'})
    expect(second).toEqual(first)
    expect(measured).toBe(1)
  })

  it('measures again when asked, when the figure is too old, and when the cache is corrupt or of another machine', async () => {
    await cachedBandwidth({timeoutMs: 1000, cachePath, measure, now: new Date('2026-03-01T10:00:00Z')})
    expect((await cachedBandwidth({timeoutMs: 1000, cachePath, measure, refresh: true, now: new Date('2026-03-02T10:00:00Z')})).bytesPerSecond).toBe(10e9 + 2)
    expect((await cachedBandwidth({timeoutMs: 1000, cachePath, measure, now: new Date('2026-04-10T10:00:00Z')})).bytesPerSecond).toBe(10e9 + 3)
    await writeFile(cachePath, '{not json')
    expect((await cachedBandwidth({timeoutMs: 1000, cachePath, measure})).bytesPerSecond).toBe(10e9 + 4)
    const entry = JSON.parse(await readFile(cachePath, 'utf8'))
    await writeFile(cachePath, JSON.stringify({...entry, machine: 'another CPU|64|1'}))
    expect((await cachedBandwidth({timeoutMs: 1000, cachePath, measure})).bytesPerSecond).toBe(10e9 + 5)
  })

  it('still answers when the cache cannot be written', async () => {
    await writeFile(join(dir, 'file'), '')
    expect(await cachedBandwidth({timeoutMs: 1000, cachePath: join(dir, 'file', 'bandwidth.json'), measure})).toMatchObject({bytesPerSecond: 10e9 + 1})
  })
})

describe('measureBandwidth', () => {
  it('copies on several threads at once and gives the median pass', async () => {
    expect(await measureBandwidth(10_000, {threads: 2, passes: 3})).toBeGreaterThan(1e8)
  })

  it('rejects when the measurement takes longer than the limit', async () => {
    await expect(measureBandwidth(1, {threads: 1, passes: 1})).rejects.toThrow(/timed out/)
  })
})
