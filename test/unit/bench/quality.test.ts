import {describe, expect, it} from 'vitest'

import {klDivergence, logSumExp, QualityAccumulator, topToken, wilsonInterval, Z_95} from '../../../src/lib/bench/index.js'

/** Logits whose softmax is `probabilities`, shifted by `offset` (softmax does not see the shift). */
const logitsOf = (probabilities: number[], offset = 0): Float32Array => Float32Array.from(probabilities, (p) => Math.log(p) + offset)

describe('klDivergence', () => {
  it('is KL(P ‖ Q) in nats for hand-computed two-token distributions', () => {
    // P = (1/2, 1/2), Q = (9/10, 1/10): ½·ln(½ / 0.9) + ½·ln(½ / 0.1) = ½·ln(25/9) = ln(5/3).
    expect(klDivergence([0, 0], logitsOf([0.9, 0.1]))).toBeCloseTo(Math.log(5 / 3), 6)
    expect(Math.log(5 / 3)).toBeCloseTo(0.510_826, 6)
  })

  it('is KL(P ‖ Q) for three tokens, and not symmetric', () => {
    const p = logitsOf([0.7, 0.2, 0.1], 3)
    const q = logitsOf([0.5, 0.3, 0.2], -7)
    // 0.7·ln(1.4) + 0.2·ln(2/3) + 0.1·ln(0.5) = 0.235 531 − 0.081 093 − 0.069 315
    expect(klDivergence(p, q)).toBeCloseTo(0.085_123, 5)
    // 0.5·ln(5/7) + 0.3·ln(3/2) + 0.2·ln(2) = −0.168 236 + 0.121 640 + 0.138 629
    expect(klDivergence(q, p)).toBeCloseTo(0.092_033, 5)
  })

  it('is 0 for the same distribution, whatever the logits are shifted by', () => {
    const logits = [1.5, -2, 0.25, 3]
    expect(klDivergence(logits, logits)).toBe(0)
    expect(klDivergence(logits, logits.map((x) => x + 40))).toBeCloseTo(0, 12)
  })

  it('ignores tokens the reference gives no mass, and is infinite where only the quant gives none', () => {
    expect(klDivergence([0, Number.NEGATIVE_INFINITY], [0, 5])).toBeCloseTo(Math.log(1 + Math.exp(5)), 9)
    expect(klDivergence([0, 0], [0, Number.NEGATIVE_INFINITY])).toBe(Number.POSITIVE_INFINITY)
  })

  it('stays finite for large logits (the softmax is shifted by the maximum, in float64)', () => {
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.log(2), 9)
    // P = (σ, 1 − σ), Q = (1 − σ, σ) with σ = e/(1 + e): KL = (2σ − 1)·ln(σ / (1 − σ)) = 2σ − 1 ≈ 0.462 117.
    expect(klDivergence([1000, 999], [999, 1000])).toBeCloseTo(0.462_117, 6)
  })

  it('refuses logits over different vocabularies', () => {
    expect(() => klDivergence([0, 1], [0, 1, 2])).toThrow(RangeError)
  })
})

describe('topToken', () => {
  it('is the argmax, the first of ties, and -1 for nothing', () => {
    expect(topToken([0.1, 3, -1, 3])).toBe(1)
    expect(topToken(Float32Array.of(-5))).toBe(0)
    expect(topToken([])).toBe(-1)
  })
})

describe('QualityAccumulator', () => {
  it('gives mean KLD ± 1.96·sd/√N and top-1 agreement with its Wilson interval over hand-made positions', () => {
    const accumulator = new QualityAccumulator()
    const positions: Array<[number[], number[]]> = [
      [[0, 0, 2], [0, 0, 2]], // same distribution: KL 0, same top token
      [[2, 0, 0], [0, 2, 0]], // top token moved
      [[0, 1, 0], [0, 1.5, 0]], // same top token, sharper
      [[3, 0, 0], [2, 2.5, 0]], // top token moved
    ]
    for (const [reference, quant] of positions) accumulator.add(reference, quant)
    const klds = positions.map(([reference, quant]) => klDivergence(reference, quant))
    const mean = klds.reduce((a, b) => a + b) / 4
    const sd = Math.sqrt(klds.reduce((sum, x) => sum + (x - mean) ** 2, 0) / 3)
    const figures = accumulator.figures()
    expect(figures.positions).toBe(4)
    expect(figures.kld.mean).toBeCloseTo(mean, 12)
    expect(figures.kld.high).toBeCloseTo(mean + (Z_95 * sd) / 2, 12)
    expect(figures.kld.low).toBeCloseTo(Math.max(0, mean - (Z_95 * sd) / 2), 12)
    expect(figures.top1.rate).toBe(0.5)
    expect([figures.top1.low, figures.top1.high]).toEqual(wilsonInterval(2, 4))
  })

  it('matches a hand-computed pair: KL(½,½ ‖ 0.9,0.1) twice, agreement 1 of 2', () => {
    const accumulator = new QualityAccumulator()
    accumulator.add([0, 0.000_001], logitsOf([0.1, 0.9])) // the reference's top is token 1, the quant's too
    accumulator.add([0.000_001, 0], logitsOf([0.1, 0.9])) // the reference's top is token 0
    const {positions, kld, top1} = accumulator.figures()
    expect(positions).toBe(2)
    expect(kld.mean).toBeCloseTo(Math.log(5 / 3), 5)
    expect(kld.high - kld.mean).toBeCloseTo(kld.mean - kld.low, 9)
    expect(top1.rate).toBe(0.5)
  })

  it('keeps the interval low end at 0, since KL divergence is never negative', () => {
    const accumulator = new QualityAccumulator()
    accumulator.addPosition(0, true)
    accumulator.addPosition(1, false)
    const {kld, top1} = accumulator.figures()
    expect(kld.mean).toBe(0.5)
    expect(kld.low).toBe(0)
    expect(kld.high).toBeGreaterThan(1)
    expect(top1.low).toBeGreaterThanOrEqual(0)
    expect(top1.high).toBeLessThanOrEqual(1)
  })

  it('reports nothing known before any position', () => {
    const {positions, kld, top1} = new QualityAccumulator().figures()
    expect(positions).toBe(0)
    expect(kld.mean).toBeNaN()
    expect([top1.low, top1.high]).toEqual([0, 1])
  })
})
