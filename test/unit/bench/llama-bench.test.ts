import {describe, expect, it} from 'vitest'

import {median, parseLlamaBenchJson, ratioOfMedians, runInterleaved} from '../../../src/lib/bench/index.js'

// Trimmed from a real `llama-bench -p 512 -n 128 -r 1 -t 1 -o json` run (llama.cpp de3ff81, OpenMP build).
const LLAMA_BENCH_JSON = JSON.stringify([
  {build_commit: 'de3ff81', n_threads: 1, n_prompt: 512, n_gen: 0, n_depth: 0, avg_ns: 13_085_727, avg_ts: 39_126.599539, stddev_ts: 0, samples_ts: [39_126.6]},
  {build_commit: 'de3ff81', n_threads: 1, n_prompt: 0, n_gen: 128, n_depth: 0, avg_ns: 9_000_000, avg_ts: 14_222.2, stddev_ts: 0, samples_ts: [14_222.2]},
])

describe('parseLlamaBenchJson', () => {
  it('picks the pp test (n_prompt > 0, n_gen = 0) and the tg test (n_gen > 0, n_prompt = 0)', () => {
    expect(parseLlamaBenchJson(LLAMA_BENCH_JSON)).toEqual({pp: 39_126.599539, tg: 14_222.2, threads: 1, build: 'de3ff81'})
  })

  it('leaves out a test that did not run, and refuses what is not a list of tests', () => {
    expect(parseLlamaBenchJson(JSON.stringify([{n_prompt: 0, n_gen: 16, avg_ts: 5, n_threads: 2}]))).toEqual({tg: 5, threads: 2})
    expect(parseLlamaBenchJson('[]')).toEqual({})
    expect(() => parseLlamaBenchJson('main: error: failed to load model')).toThrow(/did not print JSON/)
    expect(() => parseLlamaBenchJson('{"n_prompt": 512}')).toThrow(/not a list/)
  })
})

describe('runInterleaved', () => {
  it('reads the round start, then runs each program once in order, round after round', async () => {
    const events: string[] = []
    const program = (name: string) => ({name, run: async (round: number) => (events.push(`${name} ${round}`), `${name}@${round}`)})
    const rounds = await runInterleaved({
      rounds: 3,
      programs: [program('llama-bench'), program('jsl-med')],
      atStart: (round) => (events.push(`start ${round}`), round / 10),
      onResult: (round, name) => events.push(`done ${name} ${round}`),
    })
    expect(events.filter((event) => !event.startsWith('done'))).toEqual([
      'start 1', 'llama-bench 1', 'jsl-med 1',
      'start 2', 'llama-bench 2', 'jsl-med 2',
      'start 3', 'llama-bench 3', 'jsl-med 3',
    ])
    expect(events.slice(0, 3)).toEqual(['start 1', 'llama-bench 1', 'done llama-bench 1'])
    expect(rounds[1]).toEqual({round: 2, start: 0.2, results: [{name: 'llama-bench', value: 'llama-bench@2'}, {name: 'jsl-med', value: 'jsl-med@2'}]})
  })

  it('with rotate, starts each round one program later and still returns results in program order', async () => {
    const ran: string[] = []
    const program = (name: string) => ({name, run: async (round: number) => (ran.push(`${name}${round}`), `${name}@${round}`)})
    const rounds = await runInterleaved({rounds: 4, programs: [program('a'), program('b'), program('c')], atStart: () => 0, rotate: true})
    expect(ran).toEqual(['a1', 'b1', 'c1', 'b2', 'c2', 'a2', 'c3', 'a3', 'b3', 'a4', 'b4', 'c4'])
    expect(rounds[2].results.map((result) => result.value)).toEqual(['a@3', 'b@3', 'c@3'])
  })

  it('stops before the next program once the signal is aborted', async () => {
    const controller = new AbortController()
    const ran: string[] = []
    const run = runInterleaved({
      rounds: 2,
      programs: [{name: 'a', run: async () => (ran.push('a'), controller.abort())}, {name: 'b', run: async () => void ran.push('b')}],
      atStart: () => 0,
      signal: controller.signal,
    })
    await expect(run).rejects.toMatchObject({code: 'E_INTERRUPTED'})
    expect(ran).toEqual(['a'])
  })
})

describe('median and ratioOfMedians', () => {
  it('take the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([7])).toBe(7)
    expect(median([])).toBeNaN()
  })

  it('divide the medians, robust to one disturbed round', () => {
    // Round 2 of the baseline ran while something else took the CPU: the median ignores it, a mean would not.
    expect(ratioOfMedians([95, 96, 94], [100, 20, 100])).toBeCloseTo(0.95, 12)
    expect(ratioOfMedians([1], [])).toBeNaN()
    expect(ratioOfMedians([1], [0])).toBeNaN()
  })
})
