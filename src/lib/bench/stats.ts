/** Arithmetic mean; NaN for an empty list. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  let sum = 0
  for (const value of values) sum += value
  return sum / values.length
}

/** Median (the mean of the two middle values for an even count); NaN for an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** `median(values) / median(baseline)`: how a program compares with a baseline measured in the same rounds. NaN when either is empty or the baseline is 0. */
export function ratioOfMedians(values: readonly number[], baseline: readonly number[]): number {
  const base = median(baseline)
  return base > 0 ? median(values) / base : Number.NaN
}

/**
 * Sample standard deviation (divisor n − 1), as llama-bench reports `± stddev`; 0 for fewer than two values.
 */
export function sampleStandardDeviation(values: readonly number[]): number {
  if (values.length < 2) return 0
  const m = mean(values)
  let squares = 0
  for (const value of values) squares += (value - m) ** 2
  return Math.sqrt(squares / (values.length - 1))
}

/** Mean ± sample standard deviation of repeated measurements, with the samples kept for later analysis. */
export interface Summary {
  mean: number
  sd: number
  samples: number[]
}

/** Summarizes repeated measurements as mean, sample sd and the raw samples. */
export function summarize(samples: readonly number[]): Summary {
  return {mean: mean(samples), sd: sampleStandardDeviation(samples), samples: [...samples]}
}

/** z for a two-sided 95% normal interval. */
export const Z_95 = 1.959963984540054

/**
 * Wilson score interval of a binomial proportion (`successes` of `n`), two-sided, default 95%.
 * Unlike the normal (Wald) interval it stays inside [0, 1] and is sensible for small n and for 0 or n successes.
 * Returns [0, 1] for n = 0 (nothing is known).
 */
export function wilsonInterval(successes: number, n: number, z = Z_95): [low: number, high: number] {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new RangeError(`wilsonInterval needs integers 0 ≤ successes ≤ n, got ${successes} of ${n}`)
  }

  if (n === 0) return [0, 1]
  const p = successes / n
  const z2 = z * z
  const denominator = 1 + z2 / n
  const centre = (p + z2 / (2 * n)) / denominator
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator
  // Clamp floating-point dust so that 0/n gives exactly 0 and n/n exactly 1.
  return [Math.max(0, centre - half), Math.min(1, centre + half)]
}

/** Precision, recall and F1 from true positives, false positives and false negatives (0 when undefined). */
export function precisionRecallF1(tp: number, fp: number, fn: number): {precision: number; recall: number; f1: number} {
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp)
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn)
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
  return {precision, recall, f1}
}
