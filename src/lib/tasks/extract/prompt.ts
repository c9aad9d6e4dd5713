import type {JsonSchema} from '../../engine/index.js'

/**
 * The system prompt of `extract`: copy values verbatim from the text, leave out what it does not say, and the
 * user's schema (descriptions included) so that the model knows what each field means.
 */
export function buildExtractSystemPrompt(schema: JsonSchema): string {
  return [
    'You extract structured data from the text the user gives you, as JSON valid against this JSON Schema:',
    JSON.stringify(schema),
    'Copy every string value exactly as it is written in the text (same words and spelling); do not paraphrase.',
    'When the text does not say something, use an empty string, an empty list or null where the schema allows it.',
    'Answer with JSON only.',
  ].join('\n')
}
