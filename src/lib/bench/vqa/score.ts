// VQA scoring as MultiMedEval does it, reproduced from corentin-ryr/MultiMedEval multimedeval/task_families.py
// (VQA.evaluate): cleaned answers compared as word sets, BLEU-1 as torchmetrics' BLEUScore(n_gram=1).
import {mean, wilsonInterval} from '../stats.js'
import {cleanVqaAnswer, vqaTokens} from './clean.js'

/** A closed question is correct when the answer recalls at least this share of the reference words. */
export const CLOSED_RECALL_THRESHOLD = 0.4
/** An open question is correct when the answer recalls at least this share of the reference words. */
export const OPEN_RECALL_THRESHOLD = 0.75

/** The score of one answer against its reference. */
export interface VqaAnswerScore {
  /** The cleaned reference is `yes` or `no` (MultiMedEval's test, not the dataset's answer_type). */
  closed: boolean
  correct: boolean
  recall: number
  precision: number
  f1: number
  bleu1: number
}

/** Whether a reference answer makes a closed (yes/no) question, after cleaning. */
export function isClosedAnswer(reference: string): boolean {
  const cleaned = cleanVqaAnswer(reference)
  return cleaned === 'yes' || cleaned === 'no'
}

const overlap = (a: ReadonlySet<string>, b: ReadonlySet<string>): number => [...a].filter((word) => b.has(word)).length

/**
 * Unigram BLEU of one cleaned prediction against one cleaned reference: clipped word matches over the prediction's
 * words, times the brevity penalty exp(1 − r/c) when the prediction is not longer than the reference; 0 without a
 * match (no smoothing).
 */
export function bleu1(prediction: string, reference: string): number {
  const predicted = prediction.split(/\s+/).filter(Boolean)
  const expected = reference.split(/\s+/).filter(Boolean)
  const counts = new Map<string, number>()
  for (const word of expected) counts.set(word, (counts.get(word) ?? 0) + 1)
  let matches = 0
  for (const word of predicted) {
    const left = counts.get(word) ?? 0
    if (left > 0) {
      matches++
      counts.set(word, left - 1)
    }
  }

  if (matches === 0) return 0
  const brevity = predicted.length > expected.length ? 1 : Math.exp(1 - expected.length / predicted.length)
  return brevity * (matches / predicted.length)
}

/**
 * Scores one answer. Both texts are cleaned (see cleanVqaAnswer) and compared as word sets. A closed question
 * counts as correct at a recall of {@link CLOSED_RECALL_THRESHOLD}, where a reference of `no` also accepts `not`
 * (its word set becomes {no, not}, so either word alone recalls half); an open one at {@link OPEN_RECALL_THRESHOLD}.
 * `recall`, `precision`, `f1` and `bleu1` are those of the plain word sets.
 */
export function scoreVqaAnswer(prediction: string, reference: string): VqaAnswerScore {
  const cleanPrediction = cleanVqaAnswer(prediction)
  const cleanReference = cleanVqaAnswer(reference)
  const predicted = vqaTokens(cleanPrediction)
  const expected = vqaTokens(cleanReference)
  const common = overlap(predicted, expected)
  const precision = predicted.size > 0 ? common / predicted.size : 0
  const recall = expected.size > 0 ? common / expected.size : 0
  // MultiMedEval's epsilon, so that an answer with no common word scores 0 rather than NaN.
  const f1 = (2 * precision * recall) / (precision + recall + 1e-8)
  const closed = cleanReference === 'yes' || cleanReference === 'no'
  let correct: boolean
  if (closed) {
    const accepted = cleanReference === 'no' ? new Set(['no', 'not']) : expected
    correct = overlap(predicted, accepted) / accepted.size >= CLOSED_RECALL_THRESHOLD
  } else {
    correct = recall >= OPEN_RECALL_THRESHOLD
  }

  return {closed, correct, recall, precision, f1, bleu1: bleu1(cleanPrediction, cleanReference)}
}

/** VQA figures over a question set, as MultiMedEval reports them, with counts and Wilson intervals. */
export interface VqaFigures {
  /** Questions scored. */
  n: number
  /** Questions whose answer failed (unreadable image, engine error): scored as an empty answer. */
  failed: number
  closed: {n: number; correct: number; accuracy: number; ci95: [number, number]}
  open: {n: number; correct: number; accuracy: number; ci95: [number, number]; meanRecall: number}
  /** Means over every question, closed and open (MultiMedEval's `bleu`, `F1` and `recall`). */
  bleu1: number
  f1: number
  recall: number
}

/** Sums per-answer scores into {@link VqaFigures}; an empty group has accuracy 0 and the interval [0, 1]. */
export function summarizeVqa(scores: readonly VqaAnswerScore[], failed = 0): VqaFigures {
  const group = (closed: boolean) => {
    const members = scores.filter((score) => score.closed === closed)
    const correct = members.filter((score) => score.correct).length
    const ci95 = members.length > 0 ? wilsonInterval(correct, members.length) : ([0, 1] as [number, number])
    return {members, n: members.length, correct, accuracy: members.length > 0 ? correct / members.length : 0, ci95}
  }

  const closed = group(true)
  const open = group(false)
  const average = (values: number[]): number => (values.length > 0 ? mean(values) : 0)
  return {
    n: scores.length,
    failed,
    closed: {n: closed.n, correct: closed.correct, accuracy: closed.accuracy, ci95: closed.ci95},
    open: {n: open.n, correct: open.correct, accuracy: open.accuracy, ci95: open.ci95, meanRecall: average(open.members.map((score) => score.recall))},
    bleu1: average(scores.map((score) => score.bleu1)),
    f1: average(scores.map((score) => score.f1)),
    recall: average(scores.map((score) => score.recall)),
  }
}
