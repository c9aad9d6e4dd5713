import type {JsonSchema} from '../../engine/index.js'
import {ASSERTIONS, DEFAULT_NER_LABELS} from './labels.js'

const LABEL_HINTS: Record<string, string> = {
  PROBLEM: 'diseases, symptoms, findings',
  TREATMENT: 'therapies other than a named drug, e.g. dialysis, physical therapy',
  DRUG: 'named medications, with dose when written next to them',
  TEST: 'labs, imaging, vital signs, examinations',
  PROCEDURE: 'operations and procedures, e.g. appendectomy, colonoscopy',
  ANATOMY: 'body parts and organs',
}

const EXAMPLE_TEXT = 'Pt denies chest pain. Mother had breast cancer. Started metformin 500 mg for diabetes; check HbA1c in 3 months.'
const EXAMPLE = [
  {text: 'chest pain', label: 'PROBLEM', assertion: 'absent', code: ''},
  {text: 'breast cancer', label: 'PROBLEM', assertion: 'family', code: ''},
  {text: 'metformin 500 mg', label: 'DRUG', assertion: 'present', code: ''},
  {text: 'diabetes', label: 'PROBLEM', assertion: 'present', code: 'E11.9'},
  {text: 'HbA1c', label: 'TEST', assertion: 'hypothetical', code: ''},
]

/** Options that shape the NER prompt and schema. */
export interface NerPromptOptions {
  labels: readonly string[]
  /** Ask for an ICD-10-CM code per entity. */
  link: boolean
  maxEntities: number
  maxMentionChars: number
}

/** The system prompt of `ner`: the labels, the assertions, verbatim copying, and (for the default labels) an example. */
export function buildNerSystemPrompt({labels, link}: NerPromptOptions): string {
  const isDefault = labels.length === DEFAULT_NER_LABELS.length && labels.every((label, i) => label === DEFAULT_NER_LABELS[i])
  const labelList = labels.map((label) => (LABEL_HINTS[label] ? `${label} (${LABEL_HINTS[label]})` : label)).join(', ')
  const lines = [
    'You extract clinical entities from the text the user gives you.',
    `Labels: ${labelList}.`,
    'For each mention give "text", copied exactly as it is written in the text (same words and spelling), its "label",',
    'and its "assertion": present; absent (negated, e.g. "denies fever"); possible (suspected, "rule out"); hypothetical',
    '(conditional or planned, e.g. "return if fever"); historical (past, resolved); family (about a family member).',
    'List mentions in the order they appear; list a mention that is repeated once per occurrence.',
  ]
  if (link) lines.push('Also give "code": the ICD-10-CM code of a PROBLEM when you are sure of it, else "".')
  lines.push('Answer with JSON only.')
  if (isDefault) {
    const entities = EXAMPLE.map(({code, ...entity}) => (link ? {...entity, code} : entity))
    lines.push(`Example text: ${EXAMPLE_TEXT}`, `Example answer: ${JSON.stringify({entities})}`)
  }

  return lines.join('\n')
}

/** The JSON schema the model's answer is constrained to; bounded, so that any model terminates. */
export function buildNerSchema({labels, link, maxEntities, maxMentionChars}: NerPromptOptions): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    text: {type: 'string', minLength: 1, maxLength: maxMentionChars},
    label: {enum: [...labels]},
    assertion: {enum: [...ASSERTIONS]},
  }
  if (link) properties.code = {type: 'string', maxLength: 8}
  return {type: 'object', properties: {entities: {type: 'array', maxItems: maxEntities, items: {type: 'object', properties}}}} as JsonSchema
}
