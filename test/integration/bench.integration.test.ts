import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {klDivergence, logSumExp} from '../../src/lib/bench/index.js'
import {openBenchModel, type BenchModel} from '../../src/lib/engine/index.js'

const modelPath = inject('tinyModelPath')

describe('openBenchModel (real llama.cpp, tiny synthetic model)', () => {
  let model: BenchModel

  beforeAll(async () => {
    model = await openBenchModel({modelPath, threads: 1, gpu: 'off', contextSize: 256})
  })
  afterAll(() => model?.dispose())

  it('describes the model and the llama.cpp build for the records', () => {
    expect(model.info).toMatchObject({
      fileType: 'F32',
      architecture: 'llama',
      vocabSize: 512,
      threads: 1,
      gpu: false,
      gpuDevices: [],
      llamaCpp: {release: expect.stringMatching(/^v?\d/), repo: 'ggml-org/llama.cpp'},
      nodeLlamaCppVersion: '3.22.1',
    })
    expect(model.info.parameterCount).toBeGreaterThan(100_000)
    expect(model.info.systemInfo).toMatch(/CPU/)
  })

  it('measures pp and tg once per repetition with fixed token counts', async () => {
    const steps: string[] = []
    const speed = await model.measureSpeed({promptTokens: 64, generateTokens: 8, repetitions: 2, onStep: (step) => steps.push(step)})
    expect(steps).toEqual(['warm-up', 'pp64 1/2', 'tg8 1/2', 'ttft 1/2', 'pp64 2/2', 'tg8 2/2', 'ttft 2/2'])
    expect(speed).toMatchObject({promptTokens: 64, generateTokens: 8, batchSize: 512})
    for (const series of [speed.promptTokensPerSecond, speed.generateTokensPerSecond, speed.timeToFirstTokenMs]) {
      expect(series).toHaveLength(2)
      for (const value of series) expect(value).toBeGreaterThan(0)
    }

    expect(speed.contextSize).toBeGreaterThanOrEqual(72)
    expect(speed.peakRssBytes).toBeGreaterThan(1_000_000)
  })

  it('scores multi-token continuations deterministically, whatever was scored before', async () => {
    const context = 'Question: Which vitamin prevents scurvy?\nA. C\nB. D\nAnswer:'
    const first = await model.scoreChoices(context, [' A', ' B', ' yes'])
    expect(first.truncated).toBe(false)
    expect(first.scores.map((s) => s.tokens).slice(0, 2)).toEqual([2, 2])
    for (const score of first.scores) {
      expect(score.logprob).toBeLessThan(0)
      // Random weights: each token is about uniform over 512 ids, ln(1/512) ≈ −6.24 per token.
      expect(score.logprob / score.tokens).toBeGreaterThan(-9)
      expect(score.logprob / score.tokens).toBeLessThan(-4)
    }

    // The same question again, after another one, reuses or rebuilds the KV cache without changing the result.
    await model.scoreChoices('Another context entirely', [' x'])
    const again = await model.scoreChoices(context, [' B', ' A'])
    expect(again.scores[0].logprob).toBeCloseTo(first.scores[1].logprob, 4)
    expect(again.scores[1].logprob).toBeCloseTo(first.scores[0].logprob, 4)
  })

  it('agrees with the softmax of the next-token distribution that node-llama-cpp reports', async () => {
    const context = 'Answer:'
    const continuations = Array.from({length: 95}, (_, i) => String.fromCharCode(32 + i))
    const {scores} = await model.scoreChoices(context, continuations)

    // Reference: the full probability vector after the context, from node-llama-cpp directly.
    const {getLlama} = await import('node-llama-cpp')
    const llama = await getLlama({gpu: false, build: 'never', maxThreads: 1, logLevel: 'error' as never})
    const reference = await llama.loadModel({modelPath})
    const contextTokens = reference.tokenize(context)
    const sequence = (await reference.createContext({contextSize: 256, threads: 1})).getSequence()
    const results = await sequence.controlledEvaluate([...contextTokens.slice(0, -1), [contextTokens.at(-1)!, {generateNext: {probabilities: true}}]])
    const probabilities = results.at(-1)!.next.probabilities!
    let compared = 0
    let mass = 0
    for (const [index, continuation] of continuations.entries()) {
      const whole = reference.tokenize(context + continuation)
      if (scores[index].tokens !== 1 || whole.length !== contextTokens.length + 1) continue
      const p = probabilities.get(whole.at(-1)!)!
      expect(scores[index].logprob).toBeCloseTo(Math.log(p), 3)
      expect(scores[index].greedy).toBe(probabilities.keys().next().value === whole.at(-1))
      mass += p
      compared++
    }

    expect(compared).toBeGreaterThan(80)
    expect(mass).toBeLessThanOrEqual(1.0001)
    await llama.dispose()
  })

  it('measures at a context depth: the depth is filled once, untimed, in a context sized for depth + tests', async () => {
    const steps: string[] = []
    const speed = await model.measureSpeed({promptTokens: 16, generateTokens: 4, repetitions: 2, depth: 48, onStep: (step) => steps.push(step)})
    expect(steps).toEqual(['warm-up', 'depth 48', 'pp16 1/2', 'tg4 1/2', 'ttft 1/2', 'pp16 2/2', 'tg4 2/2', 'ttft 2/2'])
    expect(speed.contextSize).toBeGreaterThanOrEqual(48 + 16 + 4)
    for (const value of [...speed.promptTokensPerSecond, ...speed.generateTokensPerSecond]) expect(value).toBeGreaterThan(0)
  })

  it('reports full-vocabulary next-token logits at every position, window by window, matching loglik scoring', async () => {
    const text = 'Assessment: community-acquired pneumonia. Plan: amoxicillin 1 g three times daily.'
    const tokens = model.tokenize(text)
    const collect = async (windowTokens?: number): Promise<Float32Array[]> => {
      const all: Float32Array[] = []
      const count = await model.nextTokenLogits(tokens, {windowTokens, onLogits: (position, logits) => void all.push(logits.slice())})
      expect(count).toBe(all.length)
      return all
    }

    const whole = await collect()
    // No BOS on this model: every token but the first is predicted once.
    expect(whole).toHaveLength(tokens.length - 1)
    for (const logits of whole) expect(logits).toHaveLength(512)
    // The same distributions again (deterministic, the sequence is cleared), and the prediction of the last token is
    // the log-likelihood loglik scoring gives it.
    const again = await collect()
    for (const [position, logits] of whole.entries()) expect(klDivergence(logits, again[position])).toBeCloseTo(0, 9)
    const last = whole.at(-1)!
    const head = model.tokenize(text.slice(0, -1))
    expect(head).toEqual(tokens.slice(0, -1))
    const {scores} = await model.scoreChoices(text.slice(0, -1), ['.'])
    expect(scores[0].tokens).toBe(1)
    expect(last[tokens.at(-1)!] - logSumExp(last)).toBeCloseTo(scores[0].logprob, 3)

    // Windows of 8 tokens: each starts from an empty context, so 7 predictions per full window.
    const windowed = await collect(8)
    expect(windowed).toHaveLength(tokens.length - Math.ceil(tokens.length / 8))
    expect(klDivergence(windowed[0], whole[0])).toBeCloseTo(0, 9)
  })

  it('cuts a context longer than the model context from the left, as lm-eval does', async () => {
    const long = 'word '.repeat(400) + 'Answer:'
    const result = await model.scoreChoices(long, [' A', ' B'])
    expect(result.truncated).toBe(true)
    expect(result.contextTokens).toBeLessThanOrEqual(256)
  })
})
