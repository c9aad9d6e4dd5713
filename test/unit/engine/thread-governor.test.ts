import {afterEach, describe, expect, it, vi} from 'vitest'

import type {CpuSnapshot} from '../../../src/lib/cpu/index.js'
import {ThreadGovernor, type CpuFacts} from '../../../src/lib/engine/llama/decoding/thread-governor.js'
import {TokenWatchdog} from '../../../src/lib/engine/llama/decoding/token-watchdog.js'

// A 2-core machine; `busyMs` of other processes accumulates as the fake clock advances.
function machine(): {facts: CpuFacts; sample: () => Promise<CpuSnapshot>; run: (ms: number, othersCores: number) => void} {
  const state = {busyMs: 0, totalMs: 0}
  const snapshot = (): CpuSnapshot => ({busyMs: state.busyMs, totalMs: state.totalMs, cpus: 2, ownMs: 0})
  return {
    facts: {physicalCores: 2, allowedCpus: 2, since: snapshot()},
    sample: async () => snapshot(),
    run: (ms, othersCores) => {
      state.totalMs += 2 * ms
      state.busyMs += othersCores * ms
    },
  }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('ThreadGovernor', () => {
  it('starts with the free cores: 1 thread next to one busy core, 2 on an idle machine (prebuilt)', async () => {
    for (const [othersCores, expected] of [[1, 1], [0, 2]] as const) {
      const m = machine()
      m.run(1000, othersCores)
      const set = vi.fn()
      const governor = await ThreadGovernor.start({facts: m.facts, openmp: false, setThreads: set, log: () => {}, sample: m.sample})
      expect(governor.threads).toBe(expected)
      expect(set).toHaveBeenCalledWith(expected)
    }
  })

  it("keeps to the Slurm allocation on an idle machine, at the start and when the load is looked at again", async () => {
    vi.useFakeTimers({toFake: ['performance']})
    const m = machine()
    m.run(1000, 0)
    const set = vi.fn()
    const governor = await ThreadGovernor.start({facts: {...m.facts, schedulerCpus: 1}, openmp: true, setThreads: set, log: () => {}, sample: m.sample})
    expect(governor.threads).toBe(1)
    m.run(6000, 0)
    vi.advanceTimersByTime(6000)
    await governor.beforeRecord()
    expect(governor.threads).toBe(1)
    expect(set).not.toHaveBeenCalledWith(2)
  })

  it('follows the load between records, looking again only every few seconds', async () => {
    vi.useFakeTimers({toFake: ['performance']})
    const m = machine()
    m.run(1000, 0)
    const set = vi.fn()
    const governor = await ThreadGovernor.start({facts: m.facts, openmp: false, setThreads: set, log: () => {}, sample: m.sample})
    expect(governor.threads).toBe(2)
    m.run(1000, 1)
    vi.advanceTimersByTime(1000)
    await governor.beforeRecord()
    expect(governor.threads).toBe(2) // too soon to look again
    m.run(5000, 1)
    vi.advanceTimersByTime(5000)
    await governor.beforeRecord()
    expect(governor.threads).toBe(1)
    m.run(6000, 0)
    vi.advanceTimersByTime(6000)
    await governor.beforeRecord()
    expect(governor.threads).toBe(2)
    expect(set.mock.calls.map(([threads]) => threads)).toEqual([2, 1, 2])
  })

  it('drops to 1 thread when generation collapses, says so once, and does not climb back during the cool-down', async () => {
    vi.useFakeTimers({toFake: ['performance']})
    const m = machine()
    m.run(1000, 0)
    const log = vi.fn()
    const governor = await ThreadGovernor.start({facts: m.facts, openmp: false, setThreads: () => {}, log, sample: m.sample})
    governor.afterRecord(100, 100) // 1 ms per token at 2 threads
    expect(governor.threads).toBe(2)
    governor.afterRecord(100, 5000) // 50 ms per token: far slower than 1 thread would be
    expect(governor.threads).toBe(1)
    expect(log.mock.calls.filter(([level]) => level === 'warn')).toHaveLength(1)
    m.run(10_000, 0)
    vi.advanceTimersByTime(10_000)
    await governor.beforeRecord()
    expect(governor.threads).toBe(1) // idle again, but within the cool-down
    m.run(60_000, 0)
    vi.advanceTimersByTime(60_000)
    await governor.beforeRecord()
    expect(governor.threads).toBe(2)
  })

  it('without OpenMP, probes generation at 1 thread and keeps it when faster; prompts keep the chosen count', async () => {
    const m = machine()
    m.run(1000, 0)
    const set = vi.fn()
    const governor = await ThreadGovernor.start({facts: m.facts, openmp: false, setThreads: set, log: () => {}, sample: m.sample})
    governor.promptStarted(0)
    expect(governor.generationStarted(0)).toBe(2)
    governor.afterRecord(100, 200, 2) // 2 ms per token at 2 threads
    governor.recordEnded(0)
    governor.promptStarted(1)
    expect(set).toHaveBeenLastCalledWith(2)
    expect(governor.generationStarted(1)).toBe(1) // the probe
    expect(set).toHaveBeenLastCalledWith(1)
    governor.afterRecord(100, 150, 1) // 1.5 ms per token at 1 thread: faster
    governor.recordEnded(1)
    governor.promptStarted(2)
    expect(set).toHaveBeenLastCalledWith(2)
    expect(governor.generationStarted(2)).toBe(1)
    expect(governor.threads).toBe(2)
  })

  it('without OpenMP, keeps the chosen count for generation when 1 thread is slower; with OpenMP never probes', async () => {
    for (const openmp of [false, true]) {
      const m = machine()
      m.run(1000, 0)
      const governor = await ThreadGovernor.start({facts: m.facts, openmp, setThreads: () => {}, log: () => {}, sample: m.sample})
      governor.promptStarted(0)
      governor.generationStarted(0)
      governor.afterRecord(100, 100, 2)
      governor.recordEnded(0)
      governor.promptStarted(1)
      const probe = governor.generationStarted(1)
      expect(probe).toBe(openmp ? 2 : 1)
      governor.afterRecord(100, 180, probe)
      governor.recordEnded(1)
      governor.promptStarted(2)
      expect(governor.generationStarted(2)).toBe(2)
    }
  })

  it('evaluates prompts, large or short, and generation at the free cores next to a busy core', async () => {
    for (const openmp of [false, true]) {
      const m = machine()
      m.run(1000, 1)
      const set = vi.fn()
      const governor = await ThreadGovernor.start({facts: m.facts, openmp, setThreads: set, log: () => {}, sample: m.sample})
      expect(governor.threads).toBe(1)
      expect(set).toHaveBeenLastCalledWith(1)
      set.mockClear()
      governor.promptStarted(0, 600)
      expect(set).not.toHaveBeenCalled()
      expect(governor.generationStarted(0)).toBe(1)
      governor.recordEnded(0)
      set.mockClear()
      governor.promptStarted(1, 10)
      expect(set).not.toHaveBeenCalled()
      expect(governor.generationStarted(1)).toBe(1)
      governor.recordEnded(1)
    }
  })

  it('next to a busy core, tries one large prompt at the ceiling and keeps it for prompts only when faster', async () => {
    for (const [ceilingMs, expected] of [[600, 2], [990, 1]] as const) {
      const m = machine()
      m.run(1000, 1)
      const set = vi.fn()
      const governor = await ThreadGovernor.start({facts: m.facts, openmp: true, setThreads: set, log: () => {}, sample: m.sample})
      expect(governor.promptStarted(0, 600)).toBe(1)
      expect(governor.generationStarted(0)).toBe(1)
      governor.promptMeasured(600, 1000, 1)
      governor.recordEnded(0)
      expect(governor.promptStarted(1, 600)).toBe(2) // the probe at the ceiling
      expect(set).toHaveBeenLastCalledWith(2)
      expect(governor.generationStarted(1)).toBe(1) // generation keeps the free-core count
      governor.promptMeasured(600, ceilingMs, 2)
      governor.recordEnded(1)
      expect(governor.promptStarted(2, 600)).toBe(expected)
      expect(governor.generationStarted(2)).toBe(1)
      governor.recordEnded(2)
      expect(governor.promptStarted(3, 10)).toBe(1) // a short prompt decodes like generation
      governor.recordEnded(3)
      expect(governor.threads).toBe(1)
    }
  })

  it('never tries the ceiling for prompts on an idle machine, and forgets the verdict when the count changes', async () => {
    vi.useFakeTimers({toFake: ['performance']})
    const m = machine()
    m.run(1000, 0)
    const governor = await ThreadGovernor.start({facts: m.facts, openmp: true, setThreads: () => {}, log: () => {}, sample: m.sample})
    expect(governor.promptStarted(0, 600)).toBe(2)
    governor.promptMeasured(600, 1000, 2)
    governor.recordEnded(0)
    m.run(6000, 1)
    vi.advanceTimersByTime(6000)
    await governor.beforeRecord()
    expect(governor.threads).toBe(1)
    expect(governor.promptStarted(1, 600)).toBe(1) // measured at 2 before the change: measured again at 1 first
    governor.recordEnded(1)
  })

  it('leaves a forced thread count alone', async () => {
    const m = machine()
    m.run(1000, 2)
    const set = vi.fn()
    const governor = await ThreadGovernor.start({facts: m.facts, openmp: false, forced: 2, setThreads: set, log: () => {}, sample: m.sample})
    governor.afterRecord(100, 100)
    governor.afterRecord(100, 10_000)
    expect(governor.threads).toBe(2)
    expect(set).not.toHaveBeenCalled()
  })
})

describe('TokenWatchdog', () => {
  it('fails a generation that yields no token in time, even when llama.cpp never returns', async () => {
    vi.useFakeTimers()
    const watchdog = new TokenWatchdog(1000, 0)
    const outcome = watchdog.race(new Promise(() => {})).catch((error: {code?: string}) => error.code)
    await vi.advanceTimersByTimeAsync(999)
    expect(watchdog.stalled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(watchdog.stalled).toBe(true)
    expect(watchdog.signal.aborted).toBe(true)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(await outcome).toBe('E_STALLED')
  })

  it('is re-armed by every token and lets the first one take longer for a long prompt', async () => {
    vi.useFakeTimers()
    const watchdog = new TokenWatchdog(1000, 100) // 100 prompt tokens: +5 s for the first token
    await vi.advanceTimersByTimeAsync(5500)
    expect(watchdog.stalled).toBe(false)
    watchdog.onTokens(1)
    await vi.advanceTimersByTimeAsync(900)
    watchdog.onTokens(1)
    await vi.advanceTimersByTimeAsync(900)
    expect(watchdog.stalled).toBe(false)
    watchdog.stop()
    expect(watchdog.tokens).toBe(2)
  })

  it('lets the caller abort without counting it as a stall', () => {
    const controller = new AbortController()
    const watchdog = new TokenWatchdog(1000, 0, controller.signal)
    controller.abort()
    expect(watchdog.signal.aborted).toBe(true)
    expect(watchdog.stalled).toBe(false)
    watchdog.stop()
  })
})
