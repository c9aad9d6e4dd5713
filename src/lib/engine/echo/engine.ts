import {EngineError, InputError, InterruptedError} from '../../errors/index.js'
import type {ChatRequest, Engine, Generation, JsonSchema} from '../types.js'

/** Words in a user message that make the echo engine fail, so pipelines can test their error paths. */
export const ECHO_FAIL_MARKER = '__echo_fail__'

const ECHO_CONTEXT_SIZE = 4096

/**
 * A deterministic engine without a model: it replies with the first `maxTokens` words of the user
 * message, or, given a schema, with the smallest value that satisfies it. Words stand in for tokens.
 * It fails with an EngineError when the message contains {@link ECHO_FAIL_MARKER}.
 */
export function createEchoEngine(): Engine {
  const countTokens = (text: string): number => text.split(/\s+/).filter(Boolean).length
  const countPromptTokens = (request: Pick<ChatRequest, 'examples' | 'history' | 'system' | 'user'>): number =>
    countTokens(request.system) +
    countTokens(request.user) +
    (request.examples ?? []).reduce((sum, example) => sum + countTokens(example.user) + countTokens(example.reply), 0) +
    (request.history ?? []).reduce((sum, turn) => sum + countTokens(turn.user) + countTokens(turn.assistant), 0)
  return {
    info: {kind: 'echo', contextSize: ECHO_CONTEXT_SIZE, sequences: 1, threads: 1, gpu: false, chatWrapper: 'none'},
    countTokens,
    countPromptTokens,
    async chat(request: ChatRequest): Promise<Generation> {
      if (request.signal?.aborted) throw new InterruptedError()
      const promptTokens = countPromptTokens(request)
      if (promptTokens + request.maxTokens > ECHO_CONTEXT_SIZE) {
        throw new InputError(`the record needs ${promptTokens} prompt tokens + ${request.maxTokens} output tokens, but the context holds ${ECHO_CONTEXT_SIZE}`, {hint: 'Lower --max-tokens.'}, 'E_TOO_LONG')
      }

      if (request.user.includes(ECHO_FAIL_MARKER)) throw new EngineError('echo engine asked to fail', {hint: 'Remove the failure marker.'}, 'E_GENERATE')
      const words = request.user.split(/\s+/).filter(Boolean)
      const json = request.schema ? smallestValue(request.schema) : undefined
      const text = json === undefined ? words.slice(0, request.maxTokens).join(' ') : JSON.stringify(json)
      request.onText?.(text)
      return {text, json, stopReason: words.length > request.maxTokens ? 'maxTokens' : 'endOfText', promptTokens, outputTokens: countTokens(text), durationMs: 0}
    },
    async dispose() {},
  }
}

function smallestValue(schema: JsonSchema): unknown {
  const s = schema as Record<string, unknown>
  if ('const' in s) return s.const
  if (Array.isArray(s.enum)) return s.enum[0]
  if (Array.isArray(s.oneOf)) return smallestValue(s.oneOf[0] as JsonSchema)
  const type = Array.isArray(s.type) ? s.type[0] : s.type
  switch (type) {
    case 'object': {
      const properties = (s.properties ?? {}) as Record<string, JsonSchema>
      return Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, smallestValue(value)]))
    }

    case 'array': {
      const count = typeof s.minItems === 'number' ? s.minItems : 0
      return Array.from({length: count}, () => smallestValue((s.items ?? {type: 'null'}) as JsonSchema))
    }

    case 'string': {
      return 'x'.repeat(typeof s.minLength === 'number' ? s.minLength : 0)
    }

    case 'number':
    case 'integer': {
      return 0
    }

    case 'boolean': {
      return false
    }

    default: {
      return null
    }
  }
}
