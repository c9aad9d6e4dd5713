import type {LlamaContext, LlamaContextSequence} from 'node-llama-cpp'
import {afterEach, describe, expect, it, vi} from 'vitest'

import {alignGenerationSteps} from '../../../src/lib/engine/llama/decoding/step-alignment.js'

interface Item {
  sequenceId: number
  logits: boolean[]
  afterBatchAction?: (length: number) => Promise<void> | void
}

/** A stand-in for node-llama-cpp's context queue: it keeps what was queued, as the batch loop would see it. */
function fakeContext() {
  const items: Item[] = []
  const context = {_queuedDecodes: items, _decodeTokens: async (item: Item) => void items.push(item)}
  return {context: context as unknown as LlamaContext, items, queue: (item: Item) => context._decodeTokens(item)}
}

const sequence = (id: number) => ({_sequenceId: id}) as unknown as LlamaContextSequence
const settled = async (promise: Promise<unknown>): Promise<boolean> => {
  let done = false
  void promise.then(() => (done = true))
  for (let tick = 0; tick < 10; tick++) await Promise.resolve()
  return done
}

describe('alignGenerationSteps', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('leaves a single sequence, and a context without the internal queue, alone', () => {
    const {context} = fakeContext()
    const queue = (context as unknown as {_decodeTokens: unknown})._decodeTokens
    expect(alignGenerationSteps(context, 1).aligned).toBe(false)
    expect((context as unknown as {_decodeTokens: unknown})._decodeTokens).toBe(queue)
    expect(alignGenerationSteps({} as LlamaContext, 4).aligned).toBe(false)
  })

  it('holds a generation step until its sequence queues the next token', async () => {
    vi.useFakeTimers()
    const {context, items, queue} = fakeContext()
    expect(alignGenerationSteps(context, 4).aligned).toBe(true)
    const inner = vi.fn()
    await queue({sequenceId: 2, logits: [true], afterBatchAction: inner})
    const step = Promise.resolve(items[0].afterBatchAction!(10))
    expect(await settled(step)).toBe(false)
    expect(inner).toHaveBeenCalledWith(10)
    await queue({sequenceId: 1, logits: [true]})
    expect(await settled(step)).toBe(false)
    await queue({sequenceId: 2, logits: [true]})
    expect(await settled(step)).toBe(true)
  })

  it('stops waiting when the sequence ends, or after a few milliseconds', async () => {
    vi.useFakeTimers()
    const {context, items, queue} = fakeContext()
    const alignment = alignGenerationSteps(context, 2)
    await queue({sequenceId: 0, logits: [false, true]})
    await queue({sequenceId: 1, logits: [true]})
    const ended = Promise.resolve(items[0].afterBatchAction!(3))
    const stalled = Promise.resolve(items[1].afterBatchAction!(3))
    alignment.generationEnded(sequence(0))
    expect(await settled(ended)).toBe(true)
    expect(await settled(stalled)).toBe(false)
    await vi.advanceTimersByTimeAsync(10)
    expect(await settled(stalled)).toBe(true)
    // A step after the sequence queued again (or ended) does not wait at all.
    expect(await settled(Promise.resolve(items[0].afterBatchAction!(3)))).toBe(true)
  })

  it('keeps the queue in sequence-id order, so that llama.cpp decodes a step as one micro-batch', async () => {
    const {context, items, queue} = fakeContext()
    alignGenerationSteps(context, 4)
    for (const sequenceId of [2, 0, 3, 1]) void queue({sequenceId, logits: [true]})
    expect(items.map(({sequenceId}) => sequenceId)).toEqual([0, 1, 2, 3])
    // A prompt chunk queued later takes its place by sequence too; a queue it does not know is left as it is.
    void queue({sequenceId: 1, logits: [false, false]})
    expect(items.map(({sequenceId}) => sequenceId)).toEqual([0, 1, 1, 2, 3])
    items.push({logits: [true]} as unknown as Item)
    void queue({sequenceId: 0, logits: [true]})
    expect(items.map(({sequenceId}) => sequenceId)).toEqual([0, 1, 1, 2, 3, undefined, 0])
  })

  it('does not hold a decode that asks for no logits (a prompt evaluated for later)', async () => {
    const {context, items, queue} = fakeContext()
    alignGenerationSteps(context, 4)
    const inner = vi.fn()
    await queue({sequenceId: 3, logits: [false, false], afterBatchAction: inner})
    expect(items[0].afterBatchAction).toBe(inner)
  })
})
