import {describe, expect, it} from 'vitest'

import {mean, precisionRecallF1, sampleStandardDeviation, summarize, wilsonInterval} from '../../../src/lib/bench/index.js'

describe('mean and sample standard deviation', () => {
  it('match hand-computed values', () => {
    expect(mean([2, 4, 4, 4, 5, 5, 7, 9])).toBe(5)
    // Σ(x−5)² = 32, n − 1 = 7
    expect(sampleStandardDeviation([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12)
    expect(sampleStandardDeviation([1, 2, 3, 4])).toBeCloseTo(1.2909944487358056, 12)
  })

  it('handle the edge cases as llama-bench does (sd 0 for fewer than two samples)', () => {
    expect(mean([])).toBeNaN()
    expect(sampleStandardDeviation([])).toBe(0)
    expect(sampleStandardDeviation([42])).toBe(0)
    expect(summarize([3, 5])).toEqual({mean: 4, sd: Math.SQRT2, samples: [3, 5]})
  })
})

describe('wilsonInterval', () => {
  it('matches published 95% Wilson intervals', () => {
    // Newcombe (1998), example 81/263: 0.2553–0.3662
    const [low, high] = wilsonInterval(81, 263)
    expect(low).toBeCloseTo(0.2553, 4)
    expect(high).toBeCloseTo(0.3662, 4)
    const half = wilsonInterval(5, 10)
    expect(half[0]).toBeCloseTo(0.2366, 4)
    expect(half[1]).toBeCloseTo(0.7634, 4)
  })

  it('stays inside [0, 1] at the extremes, where the Wald interval collapses', () => {
    expect(wilsonInterval(0, 10)[0]).toBe(0)
    expect(wilsonInterval(0, 10)[1]).toBeCloseTo(0.2775, 4)
    expect(wilsonInterval(20, 20)[0]).toBeCloseTo(0.8389, 4)
    expect(wilsonInterval(20, 20)[1]).toBe(1)
    expect(wilsonInterval(0, 0)).toEqual([0, 1])
  })

  it('is symmetric, contains the estimate and narrows with n', () => {
    for (const [x, n] of [[3, 7], [10, 40], [33, 100]]) {
      const [low, high] = wilsonInterval(x, n)
      const [mirrorLow, mirrorHigh] = wilsonInterval(n - x, n)
      expect(low).toBeCloseTo(1 - mirrorHigh, 12)
      expect(high).toBeCloseTo(1 - mirrorLow, 12)
      expect(low).toBeLessThanOrEqual(x / n)
      expect(high).toBeGreaterThanOrEqual(x / n)
    }

    const width = ([low, high]: [number, number]): number => high - low
    expect(width(wilsonInterval(50, 100))).toBeLessThan(width(wilsonInterval(5, 10)))
  })

  it('rejects impossible counts', () => {
    expect(() => wilsonInterval(11, 10)).toThrow(RangeError)
    expect(() => wilsonInterval(-1, 10)).toThrow(RangeError)
    expect(() => wilsonInterval(1.5, 10)).toThrow(RangeError)
  })
})

describe('precisionRecallF1', () => {
  it('computes the harmonic mean and is 0 where undefined', () => {
    expect(precisionRecallF1(6, 2, 4)).toEqual({precision: 0.75, recall: 0.6, f1: (2 * 0.75 * 0.6) / 1.35})
    expect(precisionRecallF1(0, 0, 0)).toEqual({precision: 0, recall: 0, f1: 0})
    expect(precisionRecallF1(0, 3, 2)).toEqual({precision: 0, recall: 0, f1: 0})
  })
})
