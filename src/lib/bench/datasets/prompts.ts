import {LETTERS, type MedMcqaRecord, type MedQaRecord, type MmluRecord, type PubMedQaRecord} from './importers.js'

/**
 * One multiple-choice question, rendered as lm-evaluation-harness renders it: `context` is the prompt,
 * `choices` the continuations whose log-likelihood is compared (with lm-eval's target delimiter, one space).
 */
export interface ChoiceItem {
  /** Stable id within its task (line number, PMID, or subject:line). */
  id: string
  /** The MMLU subject, for per-subject figures. */
  subtask?: string
  context: string
  /** Continuations, e.g. `[' A', ' B', ' C', ' D']` or `[' yes', ' no', ' maybe']`. */
  choices: string[]
  /** The bare answer labels (`A`…, `yes`…), what `generate` scoring looks for in the text. */
  labels: string[]
  /** Index of the correct choice. */
  gold: number
}

const TARGET_DELIMITER = ' '
const LETTER_LABELS = [...LETTERS]
const LETTER_CHOICES = LETTER_LABELS.map((letter) => TARGET_DELIMITER + letter)
const PUBMEDQA_LABELS = ['yes', 'no', 'maybe']

const lettered = (options: string[]): string => options.map((option, index) => `${LETTERS[index]}. ${option}\n`).join('')

/** lm-eval `medqa_4options`: `Question: {q}\nA. …\nD. …\nAnswer:`. */
export function medQaItem(record: MedQaRecord): ChoiceItem {
  return {
    id: String(record.line),
    context: `Question: ${record.question}\n${lettered(record.options)}Answer:`,
    choices: LETTER_CHOICES,
    labels: LETTER_LABELS,
    gold: record.answerIndex,
  }
}

/** lm-eval `medmcqa`: `Question: {q}\nChoices:\nA. {opa}\n…\nD. {opd}\nAnswer:`. */
export function medMcqaItem(record: MedMcqaRecord): ChoiceItem {
  return {
    id: record.id ?? String(record.line),
    context: `Question: ${record.question}\nChoices:\n${lettered(record.options)}Answer:`,
    choices: LETTER_CHOICES,
    labels: LETTER_LABELS,
    gold: record.answerIndex,
  }
}

/** lm-eval `pubmedqa`: `Abstract: {contexts joined by \n}\nQuestion: {q}\nAnswer:` with choices yes/no/maybe. */
export function pubMedQaItem(record: PubMedQaRecord): ChoiceItem {
  return {
    id: record.pmid,
    context: `Abstract: ${record.contexts.join('\n')}\nQuestion: ${record.question}\nAnswer:`,
    choices: PUBMEDQA_LABELS.map((label) => TARGET_DELIMITER + label),
    labels: PUBMEDQA_LABELS,
    gold: PUBMEDQA_LABELS.indexOf(record.decision),
  }
}

/** The MMLU subjects of lm-eval's `multimedqa` group, in its order. */
export const MMLU_MEDICAL_SUBJECTS = [
  'anatomy',
  'clinical_knowledge',
  'college_medicine',
  'medical_genetics',
  'professional_medicine',
  'college_biology',
] as const

const mmluQuestion = (record: MmluRecord): string => `${record.question.trim()}\n${lettered(record.options)}Answer:`

/**
 * lm-eval `mmlu_<subject>`: the description `The following are multiple choice questions (with answers) about
 * {subject}.\n\n`, then `shots` solved dev questions separated by a blank line, then the question.
 */
export function mmluItem(subject: string, record: MmluRecord, shots: readonly MmluRecord[] = []): ChoiceItem {
  const description = `The following are multiple choice questions (with answers) about ${subject.replaceAll('_', ' ')}.\n\n`
  const examples = shots.map((shot) => `${mmluQuestion(shot)}${TARGET_DELIMITER}${LETTERS[shot.answerIndex]}\n\n`).join('')
  return {
    id: `${subject}:${record.line}`,
    subtask: subject,
    context: description + examples + mmluQuestion(record),
    choices: LETTER_CHOICES,
    labels: LETTER_LABELS,
    gold: record.answerIndex,
  }
}

/**
 * The item with solved examples before its question, each as lm-eval renders a few-shot example: the example's
 * prompt, its gold continuation, and a blank line (MMLU builds its own, after its description: see mmluItem).
 */
export function withShots(item: ChoiceItem, shots: readonly ChoiceItem[]): ChoiceItem {
  if (shots.length === 0) return item
  const examples = shots.map((shot) => `${shot.context}${shot.choices[shot.gold]}\n\n`).join('')
  return {...item, context: examples + item.context}
}
