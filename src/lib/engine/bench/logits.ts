import type {LlamaContextSequence, Token} from 'node-llama-cpp'

import {InterruptedError, UsageError} from '../../errors/index.js'
import {translateLlamaError} from '../llama/loader.js'
import type {NextTokenLogitsOptions} from './types.js'

// llama-perplexity's default -c: the window of text one context sees when next-token distributions are compared.
const LOGIT_WINDOW_TOKENS = 512
// node-llama-cpp hands the logits of each position back as a Map over the whole vocabulary, all of one call's at
// once: positions are evaluated this many logits at a time (≈27 positions of a 150k vocabulary) to bound memory.
const LOGITS_PER_CALL = 2 ** 22

/** What {@link evaluateNextTokenLogits} evaluates, beyond the caller's options. */
interface LogitsInput extends NextTokenLogitsOptions {
  tokens: readonly number[]
  /** `[bos]` when the model adds one, else empty: the first input of every window. */
  bos: readonly Token[]
  /** The model's vocabulary size (sizes the batches); 0 when unknown. */
  vocabSize: number
}

/**
 * The raw next-token logits at every position of `tokens`, window by window from an empty sequence, through
 * `controlledEvaluate` (one batched decode per step, no sampling: the logits come straight from llama.cpp).
 */
export async function evaluateNextTokenLogits(sequence: LlamaContextSequence, input: LogitsInput): Promise<number> {
  const {tokens, bos, signal} = input
  const window = Math.min(input.windowTokens ?? LOGIT_WINDOW_TOKENS, sequence.contextSize)
  if (window < 2) throw new UsageError(`a window of ${window} tokens holds no next-token prediction`, {hint: 'Raise --context-size.'})
  const perWindow = window - bos.length
  const step = Math.max(1, Math.floor(LOGITS_PER_CALL / Math.max(1, input.vocabSize)))
  let position = 0
  let buffer: Float32Array | undefined
  try {
    for (let start = 0; start < tokens.length; start += perWindow) {
      // The last token of a window predicts nothing in it, so it is never evaluated.
      const inputs = [...bos, ...(tokens.slice(start, start + perWindow) as Token[])].slice(0, -1)
      if (inputs.length === 0) continue
      await sequence.clearHistory()
      for (let at = 0; at < inputs.length; at += step) {
        if (signal?.aborted) throw new InterruptedError()
        const part = inputs.slice(at, at + step)
        const results = await sequence.controlledEvaluate(part.map((token) => [token, {generateNext: {logits: true}}]))
        for (let index = 0; index < part.length; index++) {
          const logits = results[index]?.next.logits
          if (!logits) throw new Error('llama.cpp returned no logits for a position')
          buffer = buffer?.length === logits.size ? buffer : new Float32Array(logits.size)
          for (const [token, logit] of logits) buffer[token] = logit
          await input.onLogits(position++, buffer)
        }
      }
    }

    return position
  } catch (error) {
    throw translateLlamaError(error, 'E_SCORE', 'Evaluating next-token distributions failed', 'a smaller model or quantization, or --gpu off', signal)
  }
}
