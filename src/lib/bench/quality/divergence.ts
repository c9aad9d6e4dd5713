import {wilsonInterval, Z_95} from '../stats.js'

/** `log Σ exp(logits)` in float64, shifted by the maximum so that no term overflows. */
export function logSumExp(logits: ArrayLike<number>): number {
  let max = Number.NEGATIVE_INFINITY
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i]
  if (max === Number.NEGATIVE_INFINITY) return max
  let sum = 0
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max)
  return max + Math.log(sum)
}

/** The index of the largest value (the first of equal ones), as llama.cpp's greedy sampler picks; -1 when empty. */
export function topToken(logits: ArrayLike<number>): number {
  let best = logits.length > 0 ? 0 : -1
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i
  return best
}

/**
 * KL(P ‖ Q) in nats between the next-token distributions softmax(`reference`) = P and softmax(`quant`) = Q, given as
 * raw logits over the same vocabulary: Σ p·(log p − log q), with the softmax taken over the full vocabulary in
 * float64 (llama-perplexity's `--kl-divergence` does the same sum).
 */
export function klDivergence(reference: ArrayLike<number>, quant: ArrayLike<number>): number {
  if (reference.length !== quant.length) throw new RangeError(`klDivergence needs one vocabulary, got ${reference.length} and ${quant.length} logits`)
  const [lseP, lseQ] = [logSumExp(reference), logSumExp(quant)]
  let sum = 0
  for (let i = 0; i < reference.length; i++) {
    const logP = reference[i] - lseP
    // A token P gives no mass to adds nothing, whatever Q says (0 · log 0 = 0).
    if (logP === Number.NEGATIVE_INFINITY) continue
    sum += Math.exp(logP) * (logP - (quant[i] - lseQ))
  }

  return sum
}

/** Mean KL divergence and top-1 agreement over the positions compared (what a quality record holds). */
export interface QualityFigures {
  /** Next-token distributions compared. */
  positions: number
  /** Mean KL(reference ‖ quant) in nats, with mean ± 1.96·sd/√N (the low end clamped at 0: KL is never negative). */
  kld: {mean: number; low: number; high: number}
  /** Share of positions where both models' most likely next token is the same, with a 95% Wilson interval. */
  top1: {rate: number; low: number; high: number}
}

/**
 * Accumulates per-position KL divergence and top-1 agreement without keeping the distributions (Welford's mean and
 * variance), so that a long text costs no memory.
 */
export class QualityAccumulator {
  private n = 0
  private agreements = 0
  private meanKld = 0
  private squares = 0

  /** Adds one position from the two models' logits over the same vocabulary. */
  add(reference: ArrayLike<number>, quant: ArrayLike<number>): void {
    this.addPosition(klDivergence(reference, quant), topToken(reference) === topToken(quant))
  }

  /** Adds one position from its KL divergence and whether the top tokens agree. */
  addPosition(kld: number, agree: boolean): void {
    this.n++
    if (agree) this.agreements++
    const delta = kld - this.meanKld
    this.meanKld += delta / this.n
    this.squares += delta * (kld - this.meanKld)
  }

  /** The figures so far; NaN means and [0, 1] intervals before any position. */
  figures(): QualityFigures {
    const {n} = this
    const sd = n > 1 ? Math.sqrt(this.squares / (n - 1)) : 0
    const half = n > 0 ? (Z_95 * sd) / Math.sqrt(n) : Number.NaN
    const mean = n > 0 ? this.meanKld : Number.NaN
    const [low, high] = wilsonInterval(this.agreements, n)
    return {
      positions: n,
      kld: {mean, low: Math.max(0, mean - half), high: mean + half},
      top1: {rate: n > 0 ? this.agreements / n : Number.NaN, low, high},
    }
  }
}
