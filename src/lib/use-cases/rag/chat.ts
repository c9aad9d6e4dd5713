import {createEngine, type ChatTurn, type Engine, type EngineLogger, type GpuChoice} from '../../engine/index.js'
import {InputError, UsageError} from '../../errors/index.js'
import {resolveModelPath} from '../../store/index.js'
import {buildAskUserPrompt, type RetrievedPassage} from '../../tasks/index.js'

/** The system prompt of `chat`. */
export const CHAT_SYSTEM_PROMPT = 'You are a careful clinical assistant. Answer briefly and factually; say so when you do not know.'

/** The system prompt of `chat --index`: answer from the passages of each turn, cite them by number. */
export const CHAT_EVIDENCE_SYSTEM_PROMPT =
  'You are a careful clinical assistant. Answer from the numbered passages given with each question, citing them as [1], [2]; say so when they do not contain the answer.'

/** Options of {@link createChatSession}. */
export interface ChatSessionOptions {
  engine: Engine
  /** Generated tokens per answer. */
  maxTokens: number
  temperature?: number
  seed?: number
  /** Retrieves passages for each user message (`--index`); only the relevant ones are shown. */
  retrieve?: (question: string) => Promise<RetrievedPassage[]>
  /** Default {@link CHAT_SYSTEM_PROMPT}, or {@link CHAT_EVIDENCE_SYSTEM_PROMPT} with `retrieve`. */
  system?: string
}

/** One answered turn. */
export interface ChatReply {
  answer: string
  /** The passages shown with this turn (numbered from 1 as the model saw them). */
  sources: RetrievedPassage[]
  /** Earlier turns left out because the conversation no longer fits the context. */
  forgotten: number
}

/** A multi-turn conversation held in memory only; nothing is written anywhere. */
export interface ChatSession {
  /** Answers a user message, streaming the answer's text to `onText`; the turn joins the history. */
  send(message: string, options?: {onText?: (text: string) => void; signal?: AbortSignal}): Promise<ChatReply>
  /** Forgets the history. */
  reset(): void
  /** Turns in the history now. */
  readonly turns: number
}

/**
 * A chat session: each message is answered with the history of earlier turns (the oldest left out when they no
 * longer fit the context with room for `maxTokens`), and with `retrieve`, the passages retrieved for it. A turn's
 * passages are not kept in the history (only the message and the answer), so retrieval does not fill the context.
 */
export function createChatSession(options: ChatSessionOptions): ChatSession {
  const {engine} = options
  const system = options.system ?? (options.retrieve ? CHAT_EVIDENCE_SYSTEM_PROMPT : CHAT_SYSTEM_PROMPT)
  let history: ChatTurn[] = []
  return {
    get turns() {
      return history.length
    },
    reset() {
      history = []
    },
    async send(message, {onText, signal} = {}) {
      const sources = options.retrieve ? (await options.retrieve(message)).filter((passage) => passage.relevant) : []
      let user = sources.length > 0 ? buildAskUserPrompt(message, sources) : message
      const fits = (turns: ChatTurn[]): boolean => engine.countPromptTokens({system, user, history: turns}) + options.maxTokens <= engine.info.contextSize
      let forgotten = 0
      while (history.length > 0 && !fits(history)) {
        history = history.slice(1)
        forgotten++
      }

      if (!fits(history) && sources.length > 0) user = message // the passages do not fit: the question alone
      if (!fits(history)) throw new InputError('the message does not fit the context', {hint: 'Write a shorter message, /reset, or raise --context-size.'}, 'E_TOO_LONG')
      const generation = await engine.chat({system, user, history, maxTokens: options.maxTokens, temperature: options.temperature, seed: options.seed, signal, onText})
      const answer = generation.text.trim()
      history = [...history, {user: message, assistant: answer}]
      return {answer, sources, forgotten}
    },
  }
}

/** Options of {@link openChatEngine}. */
export interface OpenChatEngineOptions {
  engine: 'echo' | 'llama'
  /** A .gguf path, or an installed or catalog model name. Required for `llama`. */
  model?: string
  gpu?: GpuChoice
  threads?: number
  contextSize?: number
  verbose?: boolean
  log?: EngineLogger
  signal?: AbortSignal
}

/** Loads the model of a chat: one sequence, the model resolved through the store as every --model is. */
export async function openChatEngine(options: OpenChatEngineOptions): Promise<Engine> {
  if (options.engine === 'llama' && !options.model) {
    throw new UsageError('No model given', {hint: 'Pass --model PATH to a .gguf file, or set JSL_MED_MODEL.'}, 'E_NO_MODEL')
  }

  const modelPath = options.engine === 'llama' ? await resolveModelPath(options.model!) : undefined
  return createEngine({
    kind: options.engine,
    modelPath,
    gpu: options.gpu,
    threads: options.threads,
    contextSize: options.contextSize,
    sequences: 1,
    logger: options.log,
    verbose: options.verbose,
    signal: options.signal,
  })
}
