import type {JsonSchema} from '../../engine/index.js'
import {checkExampleOutput} from '../examples.js'
import {asObject, chatJsonPerChunk, objectsIn} from '../structured.js'
import {splitSentences} from '../text/sentences.js'
import {createSpanAligner, type TextSpan} from '../text/spans.js'
import type {Task} from '../types.js'
import {buildSoapSchema, SOAP_SECTIONS, SOAP_SYSTEM_PROMPT, type SoapSection} from './prompt.js'

export {SOAP_SECTIONS} from './prompt.js'
export type {SoapSection} from './prompt.js'

/**
 * One statement of a SOAP section. When `unsupported` is false, `evidence` is the source sentence (or sentences)
 * holding the quote the model cited, and `evidence === source.slice(start, end)` (UTF-16 code units). When the
 * cited quote is not in the source, `unsupported` is true, `evidence` is the quote as the model wrote it, and
 * `start`/`end` are null.
 */
export interface SoapStatement {
  statement: string
  evidence: string
  start: number | null
  end: number | null
  unsupported: boolean
}

/** A SOAP note: always the four sections, each a list of statements with evidence. */
export type SoapNote = Record<SoapSection, SoapStatement[]> & {
  /** True when any statement is unsupported or the model stopped at --max-tokens: a person must review the note. */
  review_required: boolean
  /** Present (true) only when the model stopped at --max-tokens, so sections may be incomplete. */
  truncated?: true
}

/** Options of {@link createSoapTask}. */
export interface SoapTaskOptions {
  /** Most statements per section per model call; default 8. */
  maxStatements?: number
  /** Longest statement in characters; default 200. */
  maxStatementChars?: number
  /** Longest evidence quote in characters; default 300. */
  maxEvidenceChars?: number
}

/**
 * Creates the `soap` task: the model fills the four SOAP sections under a JSON-schema grammar, each statement
 * citing a sentence of the source; every citation is looked up in the source (tolerating case and whitespace
 * differences) and reported as the exact source sentence with offsets, or flagged `unsupported`. A text too long
 * for the context is split on section and paragraph boundaries and the sections are concatenated.
 */
export function createSoapTask(options: SoapTaskOptions = {}): Task<SoapNote> {
  const schema = buildSoapSchema({
    maxStatements: options.maxStatements ?? 8,
    maxStatementChars: options.maxStatementChars ?? 200,
    maxEvidenceChars: options.maxEvidenceChars ?? 300,
  })

  return {
    name: 'soap',
    outputField: 'soap',
    structured: true,
    async run(text, context) {
      const note = emptyNote()
      if (text.trim() === '') return note
      for (const {chunk, reply} of await chatJsonPerChunk(text, SOAP_SYSTEM_PROMPT, schema, context)) {
        const chunkText = text.slice(chunk.start, chunk.end)
        const aligner = createSpanAligner(chunkText)
        const sentences = splitSentences(chunkText)
        const answer = asObject(reply.value)
        if (reply.truncated) note.truncated = true
        for (const section of SOAP_SECTIONS) {
          for (const item of objectsIn(answer[section])) {
            if (typeof item.statement !== 'string' || typeof item.evidence !== 'string') continue
            const quote = aligner.locate(item.evidence)
            if (quote) {
              const span = sentenceSpan(sentences, quote)
              const start = span.start + chunk.start
              const end = span.end + chunk.start
              note[section].push({statement: item.statement, evidence: text.slice(start, end), start, end, unsupported: false})
            } else {
              note[section].push({statement: item.statement, evidence: item.evidence, start: null, end: null, unsupported: true})
            }
          }
        }
      }

      note.review_required = note.truncated === true || SOAP_SECTIONS.some((section) => note[section].some((item) => item.unsupported))
      return note
    },
    renderText: renderSoapNote,
    exampleReply(input, output) {
      const item = {type: 'object', properties: {statement: {type: 'string', minLength: 1}, evidence: {type: 'string', minLength: 1}}, required: ['statement', 'evidence'], additionalProperties: true}
      const sections = Object.fromEntries(SOAP_SECTIONS.map((section) => [section, {type: 'array', items: item}]))
      const note = {type: 'object', properties: sections, required: [...SOAP_SECTIONS], additionalProperties: true}
      checkExampleOutput(output, {type: 'object', properties: {soap: note}, required: ['soap'], additionalProperties: true} as JsonSchema)
      const aligner = createSpanAligner(input)
      const soap = asObject(output.soap)
      const reply = Object.fromEntries(SOAP_SECTIONS.map((section) => [section, objectsIn(soap[section]).map(({statement, evidence}, i) => {
        if (!aligner.locate(evidence as string)) throw new Error(`soap.${section}[${i}].evidence is not in the input`)
        return {statement, evidence}
      })]))
      return JSON.stringify(reply)
    },
  }
}

/** The default `soap` task. */
export const soapTask: Task<SoapNote> = createSoapTask()

function emptyNote(): SoapNote {
  return {subjective: [], objective: [], assessment: [], plan: [], review_required: false}
}

/** The sentences that hold a quote, from the start of the first to the end of the last. */
function sentenceSpan(sentences: TextSpan[], quote: TextSpan): TextSpan {
  const overlapping = sentences.filter((sentence) => sentence.end > quote.start && sentence.start < quote.end)
  if (overlapping.length === 0) return quote
  return {start: Math.min(overlapping[0].start, quote.start), end: Math.max(overlapping.at(-1)!.end, quote.end)}
}

/** A clean SOAP note: the four headings, each statement with its evidence, and a review line when needed. */
export function renderSoapNote(note: SoapNote): string {
  const blocks = SOAP_SECTIONS.map((section) => {
    const lines = [section.toUpperCase()]
    if (note[section].length === 0) lines.push('  (nothing in the text)')
    for (const item of note[section]) {
      lines.push(`- ${oneLine(item.statement)}`)
      const evidence = `  Evidence: "${oneLine(item.evidence)}" (${item.start}-${item.end})`
      lines.push(item.unsupported ? '  [UNSUPPORTED: the cited evidence is not in the text]' : evidence)
    }

    return lines.join('\n')
  })
  const unsupported = SOAP_SECTIONS.reduce((count, section) => count + note[section].filter((item) => item.unsupported).length, 0)
  const reasons = [
    ...(unsupported > 0 ? [`${unsupported} ${unsupported === 1 ? 'statement cites' : 'statements cite'} evidence that is not in the text`] : []),
    ...(note.truncated ? ['the model stopped at --max-tokens, so sections may be incomplete'] : []),
  ]
  if (note.review_required) blocks.push(`REVIEW REQUIRED: ${reasons.join('; ')}.`)
  return blocks.join('\n\n')
}

function oneLine(text: string): string {
  return text.replaceAll(/\s+/g, ' ').trim()
}
