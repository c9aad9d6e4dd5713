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
 * again or ended, at most a few milliseconds (measured: a median of 0.1 ms). With one sequence it does nothing.
 */
export function alignGenerationSteps(context: LlamaContext, sequences: number): StepAlignment {
  const target = context as unknown as {_decodeTokens?: QueueDecode}
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
    // Only a decode that asks for logits is followed by a sampled token, and so by another decode of this sequence.
    if (!Array.isArray(item.logits) || !item.logits.some(Boolean)) return queue.call(this, item, logitDataMapper)
    const inner = item.afterBatchAction
    return queue.call(this, {
      ...item,
      async afterBatchAction(sequenceStateLength: number) {
        await inner?.(sequenceStateLength)
        await waitForNext(item.sequenceId, mark)
      },
    }, logitDataMapper)
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
