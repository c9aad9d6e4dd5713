import type {JsonSchema} from '../../engine/index.js'
import {InputError, UsageError} from '../../errors/index.js'
import {checkExampleOutput} from '../examples.js'
import {chunksForPrompt, promptFits} from '../text/budget.js'
import type {Task} from '../types.js'
import {chunkSystemPrompt, mergeSystemPrompt, summarySystemPrompt, SUMMARY_STYLES, type SummaryStyle} from './prompt.js'

export {SUMMARY_STYLES} from './prompt.js'
export type {SummaryStyle} from './prompt.js'

/** The result of `summarize` for one text. */
export interface SummaryResult {
  summary: string
  /**
   * How many parts the note was cut into because it was longer than the context (1: it fit in one call). Records
   * carry it as `summary_chunks` only when it is more than 1.
   */
  chunks: number
}

/** Options of {@link createSummarizeTask}. */
export interface SummarizeTaskOptions {
  /** How the summary is written; default `brief`. */
  style?: SummaryStyle
  /** Upper bound of words in the summary: asked of the model and enforced by cutting; default: none. */
  maxWords?: number
}

/**
 * Creates the `summarize` task. A note that fits the context is summarized in one call. A longer note is cut on
 * section and paragraph boundaries into parts that fit (budgeted with the engine's own token counts), each part is
 * summarized (in parallel when the engine has several sequences), and the partial summaries are merged, in several
 * rounds when they do not fit one call. Nothing is ever silently truncated.
 */
export function createSummarizeTask(options: SummarizeTaskOptions = {}): Task<SummaryResult> {
  const style = options.style ?? 'brief'
  const {maxWords} = options
  if (!SUMMARY_STYLES.includes(style)) {
    throw new UsageError(`unknown summary style ${style}`, {hint: `Use one of ${SUMMARY_STYLES.join(', ')}.`}, 'E_BAD_STYLE')
  }

  if (maxWords !== undefined && (!Number.isInteger(maxWords) || maxWords < 1)) {
    throw new UsageError('--max-words must be a whole number of at least 1', {hint: 'e.g. --max-words 120'}, 'E_BAD_MAX_WORDS')
  }

  const system = summarySystemPrompt(style, maxWords)
  const finalSystem = mergeSystemPrompt(style, true, maxWords)
  const groupSystem = mergeSystemPrompt(style, false)
  const chunkSystem = chunkSystemPrompt()

  return {
    name: 'summarize',
    outputField: 'summary',
    async run(text, {engine, settings, signal}) {
      if (text.trim() === '') return {summary: '', chunks: 1}
      // Roughly two tokens per word leaves room for the limit; the cut below enforces it either way.
      const finalMaxTokens = maxWords === undefined ? settings.maxTokens : Math.min(settings.maxTokens, maxWords * 2 + 16)
      // Examples are whole notes with their summaries: they go with a note that fits one call, not with parts or merges.
      const {examples: given, ...plain} = settings
      const examples = given?.length ? given : undefined
      const call = async (prompt: string, user: string, maxTokens: number, withExamples = false): Promise<string> =>
        (await engine.chat({...plain, system: prompt, examples: withExamples ? examples : undefined, user, maxTokens, signal})).text.trim()

      if (promptFits(engine, {system, examples}, text, settings.maxTokens)) {
        return {summary: limitWords(await call(system, text, finalMaxTokens, true), maxWords), chunks: 1}
      }

      const spans = chunksForPrompt(engine, chunkSystem, text, settings.maxTokens)
      const partials = await Promise.all(spans.map((span) => call(chunkSystem, text.slice(span.start, span.end), settings.maxTokens)))

      const merge = async (parts: string[]): Promise<string> => {
        const joined = joinParts(parts)
        if (promptFits(engine, finalSystem, joined, settings.maxTokens)) return call(finalSystem, joined, finalMaxTokens)
        const groups = groupParts(parts, (group) => promptFits(engine, groupSystem, joinParts(group), settings.maxTokens))
        if (groups.length >= parts.length) {
          throw new InputError('the partial summaries of the note are too long to merge within the context', {
            hint: 'Lower --max-tokens (each partial summary is at most that long) or raise --context-size.',
          }, 'E_TOO_LONG')
        }

        // A group of one needs no model call: its summary goes to the next round as it is.
        const merged = groups.map((group) => (group.length === 1 ? group[0] : call(groupSystem, joinParts(group), settings.maxTokens)))
        return merge(await Promise.all(merged))
      }

      return {summary: limitWords(await merge(partials), maxWords), chunks: spans.length}
    },
    toRecord: ({summary, chunks}) => (chunks > 1 ? {summary, summary_chunks: chunks} : {summary}),
    renderText: ({summary, chunks}) =>
      chunks > 1 ? `${summary}\n\n[Summarized in ${chunks} parts: the note is longer than the model's context.]` : summary,
    exampleReply(_input, output) {
      checkExampleOutput(output, {type: 'object', properties: {summary: {type: 'string', minLength: 1}}, required: ['summary'], additionalProperties: true} as JsonSchema)
      return (output.summary as string).trim()
    },
  }
}

/** The default `summarize` task: brief style, no word limit. */
export const summarizeTask: Task<SummaryResult> = createSummarizeTask()

function joinParts(parts: string[]): string {
  return parts.map((part, i) => `Part ${i + 1}:\n${part}`).join('\n\n')
}

/** Consecutive groups, each as large as `fits` allows (a part that fits nowhere forms its own group). */
function groupParts(parts: string[], fits: (group: string[]) => boolean): string[][] {
  const groups: string[][] = []
  for (const part of parts) {
    const last = groups.at(-1)
    if (last && fits([...last, part])) last.push(part)
    else groups.push([part])
  }

  return groups
}

/**
 * Cuts text to at most `maxWords` whitespace-separated words, at the end of a sentence when one ends in the second
 * half of the allowance, else after the last word allowed. Text within the limit is returned unchanged.
 */
export function limitWords(text: string, maxWords: number | undefined): string {
  if (maxWords === undefined) return text
  const words = [...text.matchAll(/\S+/g)]
  if (words.length <= maxWords) return text
  const kept = words.slice(0, maxWords)
  const sentenceEnd = kept.findLastIndex((word, i) => i >= Math.floor(maxWords / 2) - 1 && /[.!?]["')\]]*$/.test(word[0]))
  const last = kept[sentenceEnd === -1 ? kept.length - 1 : sentenceEnd]
  return text.slice(0, last.index + last[0].length)
}
