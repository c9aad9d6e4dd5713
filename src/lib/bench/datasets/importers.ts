import {InputError} from '../../errors/index.js'
import {parseCsv} from './csv.js'

/** The four option letters of the multiple-choice datasets. */
export const LETTERS = ['A', 'B', 'C', 'D'] as const

/** A MedQA (USMLE, 4 options) question, as in jind11/MedQA's `*.jsonl`. */
export interface MedQaRecord {
  /** 1-based line in the file. */
  line: number
  question: string
  /** Option texts in A–D order. */
  options: string[]
  /** 0-based index of the correct option (from `answer_idx`). */
  answerIndex: number
}

/** A MedMCQA question from the original JSON-lines release (`cop` is 1-based there). */
export interface MedMcqaRecord {
  line: number
  id?: string
  question: string
  /** `opa`..`opd`. */
  options: string[]
  /** 0-based index of the correct option (`cop` − 1). */
  answerIndex: number
  subject?: string
}

/** A PubMedQA PQA-L question: the abstract's sections, the question and the yes/no/maybe decision. */
export interface PubMedQaRecord {
  pmid: string
  question: string
  contexts: string[]
  decision: 'maybe' | 'no' | 'yes'
}

/** An MMLU question from hendrycks/test's headerless CSV `question,A,B,C,D,answer`. */
export interface MmluRecord {
  line: number
  question: string
  options: string[]
  answerIndex: number
}

/** A gold mention of a PubTator annotation line; offsets index {@link PubTatorDocument.text}. */
export interface PubTatorMention {
  start: number
  end: number
  text: string
  /** Entity type as written (`Chemical`, `Disease`, `SpecificDisease`, …). */
  type: string
  /** Concept ids (MeSH, OMIM), `|`-separated in the file; empty when `-`. */
  ids: string[]
}

/** A PubTator document: title and abstract, joined by one space as the offsets assume. */
export interface PubTatorDocument {
  pmid: string
  title: string
  abstract: string
  /** `title + ' ' + abstract`. */
  text: string
  mentions: PubTatorMention[]
}

function datasetError(source: string, line: number | undefined, problem: string, hint: string): InputError {
  const where = line === undefined ? source : `${source}:${line}`
  return new InputError(`${where}: ${problem}`, {hint, details: {source, ...(line === undefined ? {} : {line})}}, 'E_DATASET')
}

function* jsonLines(text: string, source: string, hint: string): Generator<{line: number; value: Record<string, unknown>}> {
  const lines = text.split('\n')
  for (const [index, raw] of lines.entries()) {
    if (!raw.trim()) continue
    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch {
      throw datasetError(source, index + 1, 'not a JSON object', hint)
    }

    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw datasetError(source, index + 1, 'not a JSON object', hint)
    yield {line: index + 1, value: value as Record<string, unknown>}
  }
}

const isText = (value: unknown): value is string => typeof value === 'string'

const MEDQA_HINT = 'Expected MedQA JSON lines with "question", "options" {A..D} and "answer_idx" (jind11/MedQA, 4 options).'

/** Parses MedQA JSON lines (`question`, `options{A..D}`, `answer_idx`). Throws InputError E_DATASET with the line. */
export function parseMedQa(text: string, source = 'medqa'): MedQaRecord[] {
  const records: MedQaRecord[] = []
  for (const {line, value} of jsonLines(text, source, MEDQA_HINT)) {
    const options = value.options as Record<string, unknown> | undefined
    if (!isText(value.question) || typeof options !== 'object' || options === null) throw datasetError(source, line, 'missing "question" or "options"', MEDQA_HINT)
    const texts = LETTERS.map((letter) => options[letter])
    if (!texts.every(isText) || Object.keys(options).length !== 4) throw datasetError(source, line, '"options" must hold exactly A, B, C and D', MEDQA_HINT)
    const answerIndex = LETTERS.indexOf(value.answer_idx as (typeof LETTERS)[number])
    if (answerIndex < 0) throw datasetError(source, line, '"answer_idx" must be one of A–D', MEDQA_HINT)
    records.push({line, question: value.question, options: texts as string[], answerIndex})
  }

  return records
}

const MEDMCQA_HINT = 'Expected MedMCQA JSON lines with "question", "opa".."opd" and a 1-based "cop" (the original release; Hugging Face\'s copy is 0-based).'

/** Parses MedMCQA JSON lines (`question`, `opa`..`opd`, 1-based `cop`). Throws InputError E_DATASET with the line. */
export function parseMedMcqa(text: string, source = 'medmcqa'): MedMcqaRecord[] {
  const records: MedMcqaRecord[] = []
  for (const {line, value} of jsonLines(text, source, MEDMCQA_HINT)) {
    const options = [value.opa, value.opb, value.opc, value.opd]
    if (!isText(value.question) || !options.every(isText)) throw datasetError(source, line, 'missing "question" or one of "opa".."opd"', MEDMCQA_HINT)
    const cop = value.cop
    if (typeof cop !== 'number' || !Number.isInteger(cop) || cop < 1 || cop > 4) throw datasetError(source, line, '"cop" must be 1, 2, 3 or 4', MEDMCQA_HINT)
    records.push({
      line,
      id: isText(value.id) ? value.id : undefined,
      question: value.question,
      options: options as string[],
      answerIndex: cop - 1,
      subject: isText(value.subject_name) ? value.subject_name : undefined,
    })
  }

  return records
}

const PUBMEDQA_HINT = 'Expected PubMedQA JSON: an object of PMID → {"QUESTION", "CONTEXTS": [...], "final_decision": yes|no|maybe} (ori_pqal / test set).'

/** Parses PubMedQA JSON (PMID → `QUESTION`, `CONTEXTS[]`, `final_decision`), in file order. */
export function parsePubMedQa(text: string, source = 'pubmedqa'): PubMedQaRecord[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw datasetError(source, undefined, 'not valid JSON', PUBMEDQA_HINT)
  }

  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw datasetError(source, undefined, 'the top level must be an object keyed by PMID', PUBMEDQA_HINT)
  return Object.entries(value as Record<string, Record<string, unknown>>).map(([pmid, entry]) => {
    const contexts = entry?.CONTEXTS
    const decision = entry?.final_decision
    if (!isText(entry?.QUESTION) || !Array.isArray(contexts) || !contexts.every(isText)) throw datasetError(source, undefined, `PMID ${pmid}: missing "QUESTION" or "CONTEXTS"`, PUBMEDQA_HINT)
    if (decision !== 'yes' && decision !== 'no' && decision !== 'maybe') throw datasetError(source, undefined, `PMID ${pmid}: "final_decision" must be yes, no or maybe`, PUBMEDQA_HINT)
    return {pmid, question: entry.QUESTION, contexts, decision}
  })
}

const MMLU_HINT = 'Expected MMLU CSV without a header: question,A,B,C,D,answer (hendrycks/test data/<split>/<subject>_<split>.csv).'

/** Parses an MMLU subject CSV (headerless `question,A,B,C,D,answer`). */
export function parseMmlu(text: string, source = 'mmlu'): MmluRecord[] {
  let rows
  try {
    rows = parseCsv(text)
  } catch (error) {
    throw datasetError(source, undefined, (error as Error).message, MMLU_HINT)
  }

  return rows.map(({line, fields}) => {
    if (fields.length !== 6) throw datasetError(source, line, `expected 6 fields, found ${fields.length}`, MMLU_HINT)
    const answerIndex = LETTERS.indexOf(fields[5].trim() as (typeof LETTERS)[number])
    if (answerIndex < 0) throw datasetError(source, line, 'the answer must be one of A–D', MMLU_HINT)
    return {line, question: fields[0], options: fields.slice(1, 5), answerIndex}
  })
}

const PUBTATOR_HINT = 'Expected PubTator: "PMID|t|title", "PMID|a|abstract", then "PMID<TAB>start<TAB>end<TAB>mention<TAB>type<TAB>id" lines; documents separated by a blank line.'

/**
 * Parses a PubTator corpus (BC5CDR, NCBI-disease). Relation lines (`PMID<TAB>CID<TAB>…`) are skipped. Every
 * mention is checked against the text at its offsets, so a corpus with shifted offsets fails loudly.
 */
export function parsePubTator(text: string, source = 'pubtator'): PubTatorDocument[] {
  const documents: PubTatorDocument[] = []
  let current: PubTatorDocument | undefined
  const lines = text.split('\n')
  for (const [index, rawLine] of lines.entries()) {
    const raw = rawLine.replace(/\r$/, '')
    const line = index + 1
    if (!raw.trim()) {
      current = undefined
      continue
    }

    const textMatch = /^([^|\t]+)\|([ta])\|(.*)$/.exec(raw)
    if (textMatch) {
      const [, pmid, kind, body] = textMatch
      if (kind === 't') {
        if (current && current.pmid === pmid) throw datasetError(source, line, `second title for PMID ${pmid}`, PUBTATOR_HINT)
        current = {pmid, title: body, abstract: '', text: body, mentions: []}
        documents.push(current)
      } else {
        if (!current || current.pmid !== pmid) throw datasetError(source, line, `abstract for PMID ${pmid} without its title`, PUBTATOR_HINT)
        current.abstract = body
        current.text = `${current.title} ${body}`
      }

      continue
    }

    const fields = raw.split('\t')
    if (!current || fields[0] !== current.pmid) throw datasetError(source, line, 'annotation line outside its document', PUBTATOR_HINT)
    if (fields.length === 4) continue // a relation (e.g. CID chemical-induced disease): not a mention
    if (fields.length < 5) throw datasetError(source, line, `expected at least 5 tab-separated fields, found ${fields.length}`, PUBTATOR_HINT)
    const start = Number(fields[1])
    const end = Number(fields[2])
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end <= start || end > current.text.length) {
      throw datasetError(source, line, 'mention offsets out of range', PUBTATOR_HINT)
    }

    if (current.text.slice(start, end) !== fields[3]) throw datasetError(source, line, 'the mention does not match the text at its offsets', PUBTATOR_HINT)
    const ids = (fields[5] ?? '').split('|').filter((id) => id && id !== '-')
    current.mentions.push({start, end, text: fields[3], type: fields[4], ids})
  }

  return documents
}
