import type {ChatRequest, Engine, Generation} from '../../../src/lib/engine/index.js'
import {InputError} from '../../../src/lib/errors/index.js'

/** What a scripted reply may be: a JSON value (complete output) or raw text (e.g. cut off at max tokens). */
export type ScriptedReply = {json: unknown} | {text: string; stopReason?: Generation['stopReason']}

/**
 * A deterministic engine for task tests: words stand in for tokens (as in the echo engine), the context size is
 * chosen by the test, and `reply` decides each answer from the request. Records every request.
 */
export function scriptedEngine(reply: (request: ChatRequest) => ScriptedReply, contextSize = 4096): Engine & {requests: ChatRequest[]} {
  const countTokens = (text: string): number => text.split(/\s+/).filter(Boolean).length
  const countPromptTokens = (request: Pick<ChatRequest, 'system' | 'user'>): number => countTokens(request.system) + countTokens(request.user) + 4
  const requests: ChatRequest[] = []
  return {
    requests,
    info: {kind: 'echo', contextSize, sequences: 1, threads: 1, gpu: false, chatWrapper: 'none'},
    countTokens,
    countPromptTokens,
    async chat(request) {
      requests.push(request)
      const promptTokens = countPromptTokens(request)
      if (promptTokens + request.maxTokens > contextSize) throw new InputError('too long', {}, 'E_TOO_LONG')
      const answer = reply(request)
      if ('json' in answer) {
        const text = JSON.stringify(answer.json)
        return {text, json: answer.json, stopReason: 'endOfText', promptTokens, outputTokens: countTokens(text), durationMs: 0}
      }

      return {text: answer.text, stopReason: answer.stopReason ?? 'maxTokens', promptTokens, outputTokens: countTokens(answer.text), durationMs: 0}
    },
    async dispose() {},
  }
}
