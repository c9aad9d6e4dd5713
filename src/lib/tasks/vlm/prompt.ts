import type {JsonSchema} from '../../engine/index.js'

/** The system prompt of free-text answers. */
export const ANSWER_SYSTEM_PROMPT = [
  'You are a medical imaging assistant.',
  'Look at the image and answer the question about it briefly and factually.',
  'For a yes/no question, begin the answer with yes or no.',
  'If the image does not show enough to answer, say so; never guess.',
].join(' ')

/** The system prompt of structured extraction (`--schema`, `--labels`). */
export const EXTRACT_SYSTEM_PROMPT = [
  'You read medical images and documents.',
  'Extract exactly what the user asks for from the image, as JSON matching the schema the user gives.',
  'Use only what is visible in the image; leave lists empty rather than inventing entries.',
].join(' ')

/** The question asked of records without one when a schema is given. */
export const DEFAULT_EXTRACT_QUESTION = 'Extract the requested information from this image.'

/** The user message: the question, followed by the schema when the answer must be JSON. */
export function buildUserPrompt(question: string, schema?: JsonSchema): string {
  if (!schema) return question
  return `${question}\n\nAnswer with JSON matching this JSON schema:\n${JSON.stringify(schema)}`
}

/** The question of `--labels` extraction, e.g. for a scanned lab report. */
export function labelsQuestion(labels: readonly string[]): string {
  return `Find every mention of these types in the image: ${labels.join(', ')}. Give each one's text exactly as written and its type as the label.`
}
