import type {LlamaContext, LlamaContextSequence} from 'node-llama-cpp'

/** The longest a finished decode step waits for one sequence to queue its next token. */
const STEP_WAIT_MS = 5

/** What node-llama-cpp (3.22) queues per sequence and decode; internal, so everything here is checked before use. */
interface QueuedDecode {
  sequenceId: number
  logits: boolean[]
  afterBatchAction?: (sequenceStateLength: number) => Promise<void> | void
}

type QueueDecode = (item: QueuedDecode, logitDataMapper: unknown) => Promise<unknown>

/**
 * Puts the context's queue in sequence-id order, which node-llama-cpp keeps when it fills a batch. llama.cpp (KV
 * streams not unified, as node-llama-cpp creates them) fills each micro-batch with sequences whose ids follow one
 * another in batch order (n, n+1, …), so 4 generating sequences queued as 2, 0, 1, 3 are decoded as two
 * micro-batches ({2, 3}, then {0, 1}), and as 3, 2, 1, 0 as four, where sorted they are one. Measured, 0.25B Q4_0, 2
 * threads, ner -j 4: a 4-token step took 27 ms in arrival order and 15 ms sorted (one token alone: 8 ms).
 */
function orderBySequence(queue: unknown): void {
  if (!Array.isArray(queue) || queue.length < 2) return
  if (queue.every((item: Partial<QueuedDecode> | undefined) => typeof item?.sequenceId === 'number')) queue.sort((a: QueuedDecode, b: QueuedDecode) => a.sequenceId - b.sequenceId)
}

/** Lets the aligner know when a sequence stops generating, so that no step waits for it. */
export interface StepAlignment {
  /** Whether the context's batching could be aligned (false: node-llama-cpp changed, batching is its default). */
  readonly aligned: boolean
  /** The sequence's generation is over (done, failed or aborted): steps stop waiting for it. */
  generationEnded(sequence: LlamaContextSequence): void
}

/**
 * Makes every sequence that is generating join every decode step. node-llama-cpp's batch loop looks at its queue as
 * soon as the samplers of the last batch have resolved, a few microtasks before the last sampled sequence has queued
 * its next token; so with N sequences generating, a step usually holds N−1 of them (measured with 4 sequences:
 * batches of 3, or 1 and 2 in turn), while decoding 4 tokens costs about what 3 cost. Here a generation step's
 * after-batch action, which the loop awaits before it looks at the queue again, waits until its sequence has queued
 * again or ended, at most a few milliseconds (measured: a median of 0.1 ms). Every queued decode also keeps the queue
 * in sequence-id order, so that a step is one micro-batch (see {@link orderBySequence}). With one sequence it does
 * nothing.
 */
export function alignGenerationSteps(context: LlamaContext, sequences: number): StepAlignment {
  const target = context as unknown as {_decodeTokens?: QueueDecode; _queuedDecodes?: unknown}
  const queue = target._decodeTokens
  if (sequences < 2 || typeof queue !== 'function') return {aligned: false, generationEnded() {}}

  const queued = new Map<number, number>()
  const waiters = new Map<number, () => void>()
  const wake = (sequenceId: number): void => waiters.get(sequenceId)?.()
  const waitForNext = (sequenceId: number, mark: number): Promise<void> | void => {
    if (queued.get(sequenceId) !== mark) return
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        if (waiters.get(sequenceId) === done) waiters.delete(sequenceId)
        resolve()
      }

      const timer = setTimeout(done, STEP_WAIT_MS)
      waiters.get(sequenceId)?.()
      waiters.set(sequenceId, done)
    })
  }

  target._decodeTokens = function (this: unknown, item: QueuedDecode, logitDataMapper: unknown) {
    const mark = (queued.get(item.sequenceId) ?? 0) + 1
    queued.set(item.sequenceId, mark)
    wake(item.sequenceId)
    const inner = item.afterBatchAction
    // Only a decode that asks for logits is followed by a sampled token, and so by another decode of this sequence.
    const held = !Array.isArray(item.logits) || !item.logits.some(Boolean) ? item : {
      ...item,
      async afterBatchAction(sequenceStateLength: number) {
        await inner?.(sequenceStateLength)
        await waitForNext(item.sequenceId, mark)
      },
    }
    // node-llama-cpp queues the item synchronously, before its first await.
    const decoded = queue.call(this, held, logitDataMapper)
    orderBySequence(target._queuedDecodes)
    return decoded
  }

  return {
    aligned: true,
    generationEnded(sequence: LlamaContextSequence) {
      const sequenceId = (sequence as unknown as {_sequenceId?: number})._sequenceId
      if (typeof sequenceId !== 'number') return
      queued.set(sequenceId, (queued.get(sequenceId) ?? 0) + 1)
      wake(sequenceId)
    },
  }
}
