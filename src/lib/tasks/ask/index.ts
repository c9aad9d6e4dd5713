import type {Engine} from '../../engine/index.js'
import {InputError} from '../../errors/index.js'
import type {RecordSource} from '../../io/index.js'
import {asObject, chatJson, objectsIn} from '../structured.js'
import {promptFits} from '../text/budget.js'
import {chunkText} from '../text/chunks.js'
import type {Task} from '../types.js'
import {verifyCitations, type Citation, type Passage} from './citations.js'
import {buildAskSchema, buildAskUserPrompt, EVIDENCE_SYSTEM_PROMPT, MODEL_ONLY_SYSTEM_PROMPT} from './prompt.js'

export {verifyCitations} from './citations.js'
export type {Citation, Passage, ProposedCitation} from './citations.js'
export {ASK_LIMITS, buildAskSchema, buildAskUserPrompt, EVIDENCE_SYSTEM_PROMPT, MODEL_ONLY_SYSTEM_PROMPT} from './prompt.js'

/** A retrieved passage, and whether retrieval found it relevant (a query term matched, or its vector is near). */
export interface RetrievedPassage extends Passage {
  relevant: boolean
}

/** Why an answer abstained. */
export type AbstainReason = 'insufficient_evidence' | 'no_relevant_evidence'

/** The result of `ask` for one question. */
export interface AskResult {
  answer: string
  /** Verified citations only: `quote === chunkText.slice(start, end)`. */
  citations: Citation[]
  abstained: boolean
  reason?: AbstainReason
  /** Citations the model proposed that were not found in the passage they named, left out. */
  dropped: number
  /** Passages shown to the model. */
  passages: number
  /** The model stopped at --max-tokens. */
  truncated: boolean
}

/** Options of {@link createAskTask}. Without `retrieve` and `context`, the model answers alone. */
export interface AskTaskOptions {
  /** Retrieves passages for a question (`--index`); none relevant makes the answer abstain without a model call. */
  retrieve?: (question: string, signal?: AbortSignal) => Promise<RetrievedPassage[]>
  /** Documents to answer from (`--context FILE`), cut into chunks with the model's tokenizer; as many as fit are shown. */
  context?: ReadonlyArray<{doc: string; text: string}>
  /** Most tokens per chunk of `context`; default 256. */
  contextChunkTokens?: number
}

/**
 * Creates the `ask` task: answers the record's question from the model alone, from `context` or from retrieved
 * passages (as many as fit the context window, best first), as JSON under a grammar, then keeps only the citations
 * whose quote is found in the passage they name (exact offsets, see verifyCitations). Abstains when retrieval finds
 * nothing relevant or when the model says the evidence is insufficient.
 */
export function createAskTask(options: AskTaskOptions = {}): Task<AskResult> {
  const chunked = new WeakMap<Engine, Passage[]>()
  const contextPassages = (engine: Engine): Passage[] => {
    let passages = chunked.get(engine)
    if (!passages) {
      const budgetTokens = options.contextChunkTokens ?? 256
      passages = (options.context ?? []).flatMap(({doc, text}) =>
        chunkText(text, {countTokens: (piece) => engine.countTokens(piece), budgetTokens}).map((span, chunk) => ({doc, chunk, text: text.slice(span.start, span.end)})),
      )
      chunked.set(engine, passages)
    }

    return passages
  }

  const evidence = options.retrieve !== undefined || options.context !== undefined
  const system = evidence ? EVIDENCE_SYSTEM_PROMPT : MODEL_ONLY_SYSTEM_PROMPT
  const schema = buildAskSchema(evidence)
  return {
    name: 'ask',
    outputField: 'answer',
    structured: true,
    async run(question, {engine, settings, signal}) {
      if (question.trim() === '') throw new InputError('the question is empty', {hint: 'Give a question (the argument, or each record\'s "question" field).'}, 'E_EMPTY_QUESTION')
      let candidates: Passage[] = []
      if (options.retrieve) {
        candidates = (await options.retrieve(question, signal)).filter((passage) => passage.relevant)
        if (candidates.length === 0) return {answer: '', citations: [], abstained: true, reason: 'no_relevant_evidence', dropped: 0, passages: 0, truncated: false}
      } else if (options.context) {
        candidates = contextPassages(engine)
      }

      const passages: Passage[] = []
      for (const passage of candidates) {
        if (!promptFits(engine, system, buildAskUserPrompt(question, [...passages, passage]), settings.maxTokens)) break
        passages.push(passage)
      }

      if (candidates.length > 0 && passages.length === 0) {
        throw new InputError('not even one passage fits the context with the question', {hint: 'Lower --max-tokens or raise --context-size.'}, 'E_TOO_LONG')
      }

      if (!promptFits(engine, system, buildAskUserPrompt(question, passages), settings.maxTokens)) {
        throw new InputError('the question does not fit the context', {hint: 'Lower --max-tokens or raise --context-size.'}, 'E_TOO_LONG')
      }

      const reply = await chatJson(engine, {...settings, system, user: buildAskUserPrompt(question, passages), schema, signal})
      const value = asObject(reply.value)
      const proposals = objectsIn(value.citations)
      // The last citation of a cut-off answer was never proposed whole: it is not counted as dropped.
      const whole = reply.truncated ? proposals.slice(0, -1) : proposals
      const {citations, dropped} = verifyCitations(passages, whole)
      const insufficient = value.insufficient === true
      return {
        answer: typeof value.answer === 'string' ? value.answer.trim() : '',
        citations,
        abstained: insufficient,
        ...(insufficient ? {reason: 'insufficient_evidence' as const} : {}),
        dropped,
        passages: passages.length,
        truncated: reply.truncated,
      }
    },
    toRecord: (result) => ({
      answer: result.answer,
      citations: result.citations,
      abstained: result.abstained,
      ...(result.reason ? {abstain_reason: result.reason} : {}),
      citations_dropped: result.dropped,
      ...(result.truncated ? {answer_truncated: true} : {}),
    }),
    renderText: renderAnswer,
  }
}

/** A readable answer: the text (or why it abstained), then one line per citation with its chunk, offsets and quote. */
export function renderAnswer(result: AskResult): string {
  const lines = [result.abstained && result.reason === 'no_relevant_evidence' ? 'Abstained: the index holds nothing relevant to the question.' : result.answer]
  if (result.abstained && result.reason === 'insufficient_evidence') lines.push('(abstained: the model found the evidence insufficient)')
  for (const [index, c] of result.citations.entries()) lines.push(`[${index + 1}] ${c.doc}#${c.chunk} ${c.start}-${c.end}: "${c.quote.replaceAll(/\s+/g, ' ')}"`)
  if (result.dropped > 0) lines.push(`(${result.dropped} ${result.dropped === 1 ? 'citation' : 'citations'} not found in the cited passage left out)`)
  return lines.join('\n')
}

/** The record source of `ask "question"`: one text-style record, so the answer prints as text unless --format ndjson. */
export function singleQuestionSource(question: string, field = 'question'): RecordSource {
  return {
    format: 'text',
    empty: false,
    records: (async function* () {
      yield {line: 1, value: {[field]: question}}
    })(),
  }
}
