import {describe, expect, it} from 'vitest'

import type {BenchModel, SpeedOptions} from '../../../src/lib/engine/index.js'
import {chooseGenerateThreads, choosePromptThreads, chooseSpeedThreads} from '../../../src/lib/use-cases/bench-speed.js'

/** A bench model whose tg (and pp) speed depends only on the threads, as given. */
function fakeModel(tgByThreads: Record<number, number>, openmp = false, ppByThreads: Record<number, number> = {}): {model: BenchModel; calls: number[]} {
  const calls: number[] = []
  const model = {
    info: {binary: {kind: openmp ? 'native' : 'prebuilt', openmp}},
    async measureSpeed(options: SpeedOptions) {
      calls.push(options.threads!)
      return {generateTokensPerSecond: [tgByThreads[options.threads!]], promptTokensPerSecond: [ppByThreads[options.threads!] ?? 1], timeToFirstTokenMs: [1]}
    },
  } as unknown as BenchModel
  return {model, calls}
}

describe('chooseGenerateThreads', () => {
  it('generates at 1 thread when a short probe finds it faster (no OpenMP), alternating N and 1', async () => {
    const {model, calls} = fakeModel({1: 80, 2: 55})
    const choice = await chooseGenerateThreads(model, 2, {seed: 1})
    expect(choice.generateThreads).toBe(1)
    expect(choice.reason).toMatch(/^generation at 1 thread: 80 vs 55 t\/s at 2/)
    expect(calls).toEqual([2, 1, 2, 1, 2, 1])
  })

  it('keeps N when N is faster, and does not probe with OpenMP, a forced count or 1 thread', async () => {
    expect((await chooseGenerateThreads(fakeModel({1: 40, 2: 70}).model, 2, {seed: 1})).generateThreads).toBe(2)
    // 1 thread has to win by 25%: a noisy probe on an idle machine must not cut generation by a third.
    expect((await chooseGenerateThreads(fakeModel({1: 120, 2: 100}).model, 2, {seed: 1})).generateThreads).toBe(2)
    for (const [model, threads, forced] of [[fakeModel({1: 99, 2: 1}, true), 2, undefined], [fakeModel({1: 99, 2: 1}), 2, 2], [fakeModel({1: 99}), 1, undefined]] as const) {
      expect(await chooseGenerateThreads(model.model, threads, {seed: 1, forced})).toEqual({generateThreads: threads})
      expect(model.calls).toEqual([])
    }
  })
})

describe('choosePromptThreads', () => {
  it('takes the ceiling for prompts when a probe finds it faster than the free-core count, alternating', async () => {
    const {model, calls} = fakeModel({}, true, {1: 40, 2: 46})
    const choice = await choosePromptThreads(model, 1, 2, {seed: 1})
    expect(choice.promptThreads).toBe(2)
    expect(choice.reason).toMatch(/^prompts at 2 threads: 46 vs 40 t\/s at 1/)
    expect(calls).toEqual([1, 2, 1, 2])
  })

  it("probes at the pp test's own prompt length, up to 512 tokens", async () => {
    const lengths: number[] = []
    const model = {
      async measureSpeed(options: SpeedOptions) {
        lengths.push(options.promptTokens!)
        return {generateTokensPerSecond: [1], promptTokensPerSecond: [options.threads!], timeToFirstTokenMs: [1]}
      },
    } as unknown as BenchModel
    await choosePromptThreads(model, 1, 2, {seed: 1, promptTokens: 256})
    await choosePromptThreads(model, 1, 2, {seed: 1, promptTokens: 4096})
    await choosePromptThreads(model, 1, 2, {seed: 1})
    expect(lengths).toEqual([...Array(4).fill(256), ...Array(8).fill(512)])
  })

  it('keeps the free-core count unless the ceiling wins by the margin, and does not probe when idle or forced', async () => {
    expect(await choosePromptThreads(fakeModel({}, false, {1: 282, 2: 274}).model, 1, 2, {seed: 1})).toEqual({promptThreads: 1})
    expect(await choosePromptThreads(fakeModel({}, true, {1: 100, 2: 103}).model, 1, 2, {seed: 1})).toEqual({promptThreads: 1})
    for (const [threads, forced] of [[2, undefined], [1, 1]] as const) {
      const {model, calls} = fakeModel({}, true, {1: 1, 2: 99})
      expect(await choosePromptThreads(model, threads, 2, {seed: 1, forced})).toEqual({promptThreads: threads})
      expect(calls).toEqual([])
    }
  })
})

describe('chooseSpeedThreads', () => {
  const limits = {physicalCores: 2, allowedCpus: 2}
  const info = (openmp: boolean) => ({binary: {kind: openmp ? 'native' : 'prebuilt', openmp}}) as unknown as BenchModel['info']

  it('runs pp and tg at the free cores next to a busy core, with either binary', () => {
    for (const openmp of [false, true]) {
      const choice = chooseSpeedThreads(limits, info(openmp), 1, undefined)
      expect(choice).toMatchObject({promptThreads: 1, threads: 1})
      expect(choice.reason).not.toMatch(/pp at/)
    }
  })

  it('uses one count for both on an idle machine, and the forced count when given', () => {
    expect(chooseSpeedThreads(limits, info(false), 2, undefined)).toMatchObject({promptThreads: 2, threads: 2})
    expect(chooseSpeedThreads(limits, info(false), 2, undefined).reason).not.toContain('pp at')
    expect(chooseSpeedThreads(limits, info(false), 0, 1)).toEqual({promptThreads: 1, threads: 1, reason: 'set by --threads'})
  })
})
