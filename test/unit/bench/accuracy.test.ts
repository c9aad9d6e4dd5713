import {describe, expect, it} from 'vitest'

import {argmax, type ChoiceItem, type ChoiceScorer, microAverage, parseAnswer, scoreItems} from '../../../src/lib/bench/index.js'
import type {ChatRequest, Engine, Generation} from '../../../src/lib/engine/index.js'
import {InputError} from '../../../src/lib/errors/index.js'

const item = (id: string, gold: number, subtask?: string): ChoiceItem => ({
  id,
  subtask,
  context: `context ${id}`,
  choices: [' A', ' B', ' C', ' D'],
  labels: ['A', 'B', 'C', 'D'],
  gold,
})

/** A fake model whose log-probabilities are given per context: what loglik scoring must rank. */
function fakeScorer(logprobs: Record<string, number[]>, truncated: string[] = []): ChoiceScorer & {calls: Array<{context: string; continuations: readonly string[]}>} {
  const calls: Array<{context: string; continuations: readonly string[]}> = []
  return {
    calls,
    async scoreChoices(context, continuations) {
      calls.push({context, continuations})
      return {
        scores: logprobs[context].map((logprob) => ({logprob, greedy: false, tokens: 1})),
        contextTokens: 10,
        truncated: truncated.includes(context),
      }
    },
  }
}

function fakeEngine(replies: Record<string, string | Error>): Engine & {requests: ChatRequest[]} {
  const requests: ChatRequest[] = []
  return {
    requests,
    info: {kind: 'echo', contextSize: 4096, sequences: 1, threads: 1, gpu: false, chatWrapper: 'none'},
    countTokens: () => 0,
    countPromptTokens: () => 0,
    async chat(request): Promise<Generation> {
      requests.push(request)
      const reply = replies[request.user]
      if (reply instanceof Error) throw reply
      return {text: reply, stopReason: 'endOfText', promptTokens: 1, outputTokens: 1, durationMs: 1}
    },
    async dispose() {},
  }
}

describe('loglik scoring (lm-eval acc)', () => {
  it('picks the choice with the highest log-likelihood and counts a Wilson interval', async () => {
    const scorer = fakeScorer({
      'context q1': [-5, -1.2, -3, -9], // B, gold B: right
      'context q2': [-0.1, -2, -2, -2], // A, gold C: wrong
      'context q3': [-4, -4, -4, -0.5], // D, gold D: right
      'context q4': [-2, -1, -1, -3], // tie B/C → first (B), gold C: wrong
    }, ['context q3'])
    const seen: number[] = []
    const {accuracy, outcomes} = await scoreItems([item('q1', 1), item('q2', 2), item('q3', 3), item('q4', 2)], {mode: 'loglik', scorer, onItem: (done) => seen.push(done)})
    expect(outcomes.map((o) => o.predicted)).toEqual([1, 0, 3, 1])
    expect(accuracy).toMatchObject({n: 4, correct: 2, accuracy: 0.5, truncated: 1, unanswered: 0})
    expect(accuracy.ci95[0]).toBeCloseTo(0.15, 2)
    expect(accuracy.ci95[1]).toBeCloseTo(0.85, 2)
    expect(scorer.calls[0]).toEqual({context: 'context q1', continuations: [' A', ' B', ' C', ' D']})
    expect(seen).toEqual([1, 2, 3, 4])
  })

  it('reports per-subtask figures (MMLU subjects) and micro-averages groups by question count', async () => {
    const scorer = fakeScorer({'context a1': [0, -1, -1, -1], 'context a2': [0, -1, -1, -1], 'context g1': [-1, 0, -1, -1]})
    const {accuracy} = await scoreItems([item('a1', 0, 'anatomy'), item('a2', 1, 'anatomy'), item('g1', 1, 'genetics')], {mode: 'loglik', scorer})
    expect(accuracy.subtasks).toEqual({
      anatomy: expect.objectContaining({n: 2, correct: 1, accuracy: 0.5}),
      genetics: expect.objectContaining({n: 1, correct: 1, accuracy: 1}),
    })
    // 1/10 and 9/10 pool to 10/20, not the macro mean of 0.1 and 0.9 weighted equally with other sizes.
    expect(microAverage([{correct: 1, n: 10}, {correct: 9, n: 10}, {correct: 0, n: 0}])).toMatchObject({n: 20, correct: 10, accuracy: 0.5})
    expect(microAverage([{correct: 3, n: 3}, {correct: 0, n: 97}]).accuracy).toBeCloseTo(0.03, 12)
  })

  it('argmax returns the first maximum', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1)
    expect(argmax([-Infinity, -5])).toBe(1)
  })

  it('stops when aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(scoreItems([item('q1', 0)], {mode: 'loglik', scorer: fakeScorer({}), signal: controller.signal})).rejects.toMatchObject({code: 'E_INTERRUPTED'})
  })
})

describe('generate scoring', () => {
  it('parses the answer from the generated text and counts unreadable or too-long answers as wrong', async () => {
    const engine = fakeEngine({
      'context g1': 'B',
      'context g2': 'The answer is (D) because…',
      'context g3': 'I cannot tell.',
      'context g4': new InputError('too long', {}, 'E_TOO_LONG'),
    })
    const {accuracy, outcomes} = await scoreItems([item('g1', 1), item('g2', 3), item('g3', 0), item('g4', 0)], {mode: 'generate', engine, maxTokens: 8})
    expect(outcomes.map((o) => o.predicted)).toEqual([1, 3, -1, -1])
    expect(accuracy).toMatchObject({n: 4, correct: 2, unanswered: 2, truncated: 1})
    expect(engine.requests[0]).toMatchObject({maxTokens: 8, temperature: 0, user: 'context g1'})
    expect(engine.requests[0].system).toMatch(/letter/)
  })

  it('lets engine failures other than a too-long prompt propagate', async () => {
    const engine = fakeEngine({'context x': new Error('boom')})
    await expect(scoreItems([item('x', 0)], {mode: 'generate', engine})).rejects.toThrow('boom')
  })
})

describe('parseAnswer', () => {
  const letters = ['A', 'B', 'C', 'D']
  it.each([
    ['C', 2],
    [' (b) no wait', -1],
    ['(B) Axillary nerve', 1],
    ['D. Naproxen', 3],
    ['A patient like this needs C', 2],
    ['Answer: A', 0],
    ['the answer is b', 1],
    ['nothing here', -1],
    ['', -1],
  ])('reads %j as %i', (text, expected) => {
    expect(parseAnswer(text, letters)).toBe(expected)
  })

  it('reads yes/no/maybe case-insensitively as whole words', () => {
    const labels = ['yes', 'no', 'maybe']
    expect(parseAnswer('Yes, it does.', labels)).toBe(0)
    expect(parseAnswer('Maybe; the data are weak', labels)).toBe(2)
    expect(parseAnswer('Not known', labels)).toBe(-1)
    expect(parseAnswer('nobody', labels)).toBe(-1)
  })
})
