import type {BenchModel, Engine} from '../engine/index.js'
import {InputError, InterruptedError} from '../errors/index.js'
import type {ChoiceItem} from './datasets/prompts.js'
import {wilsonInterval} from './stats.js'

/**
 * How an answer is chosen: `loglik` takes the choice whose continuation has the highest log-likelihood
 * (lm-evaluation-harness `acc`); `generate` lets the model write and parses the answer from its text.
 */
export type ScoringMode = 'generate' | 'loglik'

/** What `loglik` scoring needs: the model's summed log-probability of each continuation. */
export type ChoiceScorer = Pick<BenchModel, 'scoreChoices'>

/** Accuracy of N questions with its 95% Wilson interval. */
export interface AccuracyFigures {
  n: number
  correct: number
  accuracy: number
  /** 95% Wilson score interval of the accuracy. */
  ci95: [number, number]
}

/** The outcome of one question. */
export interface ItemOutcome {
  id: string
  subtask?: string
  gold: number
  /** The chosen choice index, or -1 when `generate` produced no recognisable answer. */
  predicted: number
  correct: boolean
  /** The prompt did not fit the context: cut from the left (`loglik`, as lm-eval) or not asked (`generate`, counted wrong). */
  truncated: boolean
}

/** Options of {@link scoreItems}. */
export interface ScoreItemsOptions {
  mode: ScoringMode
  /** Required for `loglik`. */
  scorer?: ChoiceScorer
  /** Required for `generate`. */
  engine?: Engine
  /** Generated tokens per question in `generate` mode; default 16. */
  maxTokens?: number
  /** Sampling seed in `generate` mode (greedy by default, so it rarely matters). */
  seed?: number
  signal?: AbortSignal
  /** Called after each question, e.g. for progress on stderr. */
  onItem?: (done: number, total: number) => void
}

/** Accuracy over a task, plus per-subtask figures (MMLU subjects) and counts of special cases. */
export interface TaskAccuracy extends AccuracyFigures {
  /** Questions whose prompt was cut from the left to fit the context. */
  truncated: number
  /** `generate` only: answers no choice could be read from (counted wrong). */
  unanswered: number
  subtasks?: Record<string, AccuracyFigures>
}

const SYSTEM_LETTERS = 'You are taking a medical exam. Reply with the letter of the correct option only.'
const SYSTEM_WORDS = 'You are answering a question about a medical abstract. Reply with yes, no or maybe only.'

/** Accuracy figures of `correct` of `n`. */
export function accuracyOf(correct: number, n: number): AccuracyFigures {
  return {n, correct, accuracy: n === 0 ? 0 : correct / n, ci95: wilsonInterval(correct, n)}
}

/** Micro-average: pools the questions of several tasks (weighted by N), as lm-eval aggregates groups. */
export function microAverage(parts: ReadonlyArray<Pick<AccuracyFigures, 'correct' | 'n'>>): AccuracyFigures {
  let correct = 0
  let n = 0
  for (const part of parts) {
    correct += part.correct
    n += part.n
  }

  return accuracyOf(correct, n)
}

/** The index of the largest value (the first on ties, as numpy's argmax). */
export function argmax(values: readonly number[]): number {
  let best = 0
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i
  return best
}

/**
 * Reads the chosen label from generated text: a leading letter (`B`, `(B)`, `B.`), an `answer is B` phrase, or the
 * first standalone label; for word labels (yes/no/maybe) the first one mentioned. Returns -1 when none is found.
 */
export function parseAnswer(text: string, labels: readonly string[]): number {
  const isLetters = labels.every((label) => /^[A-Z]$/.test(label))
  if (isLetters) {
    const set = labels.join('')
    const patterns = [
      // A leading letter on its own or closed by punctuation: `C`, `(B)`, `D. Naproxen`.
      new RegExp(`^\\s*\\(?([${set}])(?:[).:,]|\\s*$|\\s*\\n)`),
      new RegExp(`answer(?:\\s+is)?\\s*[:\\-]?\\s*\\(?([${set}])\\b`, 'i'),
      // Any standalone capital letter, but not the article in `A patient`.
      new RegExp(`\\b([${set}])\\b(?!\\s+[a-z])`),
    ]
    for (const pattern of patterns) {
      const match = pattern.exec(text)
      if (match) return labels.indexOf(match[1].toUpperCase())
    }

    return -1
  }

  const pattern = new RegExp(`\\b(${labels.map((label) => label.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\b`, 'i')
  const match = pattern.exec(text)
  return match ? labels.findIndex((label) => label.toLowerCase() === match[1].toLowerCase()) : -1
}

/** Scores every question and returns the task's accuracy and each outcome, in order. */
export async function scoreItems(items: readonly ChoiceItem[], options: ScoreItemsOptions): Promise<{accuracy: TaskAccuracy; outcomes: ItemOutcome[]}> {
  const outcomes: ItemOutcome[] = []
  for (const item of items) {
    if (options.signal?.aborted) throw new InterruptedError()
    outcomes.push(options.mode === 'loglik' ? await scoreByLoglik(item, options) : await scoreByGeneration(item, options))
    options.onItem?.(outcomes.length, items.length)
  }

  return {accuracy: summarizeOutcomes(outcomes), outcomes}
}

/** Aggregates outcomes into task figures, with per-subtask figures when the items have subtasks. */
export function summarizeOutcomes(outcomes: readonly ItemOutcome[]): TaskAccuracy {
  const correct = outcomes.filter((outcome) => outcome.correct).length
  const result: TaskAccuracy = {
    ...accuracyOf(correct, outcomes.length),
    truncated: outcomes.filter((outcome) => outcome.truncated).length,
    unanswered: outcomes.filter((outcome) => outcome.predicted < 0).length,
  }
  const subtasks = new Map<string, {correct: number; n: number}>()
  for (const outcome of outcomes) {
    if (outcome.subtask === undefined) continue
    const tally = subtasks.get(outcome.subtask) ?? {correct: 0, n: 0}
    tally.n++
    if (outcome.correct) tally.correct++
    subtasks.set(outcome.subtask, tally)
  }

  if (subtasks.size > 0) result.subtasks = Object.fromEntries([...subtasks].map(([name, tally]) => [name, accuracyOf(tally.correct, tally.n)]))
  return result
}

async function scoreByLoglik(item: ChoiceItem, options: ScoreItemsOptions): Promise<ItemOutcome> {
  if (!options.scorer) throw new Error('loglik scoring needs a scorer')
  const {scores, truncated} = await options.scorer.scoreChoices(item.context, item.choices, options.signal)
  const predicted = argmax(scores.map((score) => score.logprob))
  return {id: item.id, subtask: item.subtask, gold: item.gold, predicted, correct: predicted === item.gold, truncated}
}

async function scoreByGeneration(item: ChoiceItem, options: ScoreItemsOptions): Promise<ItemOutcome> {
  if (!options.engine) throw new Error('generate scoring needs an engine')
  const letters = item.labels.every((label) => /^[A-Z]$/.test(label))
  let text = ''
  let tooLong = false
  try {
    const generation = await options.engine.chat({
      system: letters ? SYSTEM_LETTERS : SYSTEM_WORDS,
      user: item.context,
      maxTokens: options.maxTokens ?? 16,
      temperature: 0,
      seed: options.seed,
      signal: options.signal,
    })
    text = generation.text
  } catch (error) {
    // A question too long for the context counts as unanswered (wrong), as a truncated prompt would be.
    if (!(error instanceof InputError)) throw error
    tooLong = true
  }

  const predicted = parseAnswer(text, item.labels)
  return {id: item.id, subtask: item.subtask, gold: item.gold, predicted, correct: predicted === item.gold, truncated: tooLong}
}
