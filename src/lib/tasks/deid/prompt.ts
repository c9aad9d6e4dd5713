import {CATEGORY_DESCRIPTIONS, MODEL_CATEGORIES} from '../../deid/index.js'
import type {JsonSchema} from '../../engine/index.js'

/** Most identifiers one model call may propose, and the longest one, in characters (bounded: random models stop). */
export const MODEL_LIMITS = {maxItems: 40, maxChars: 60} as const

/** The system prompt of the model detector: the categories it looks for, and that it copies identifiers verbatim. */
export function buildDeidSystemPrompt(): string {
  const categories = MODEL_CATEGORIES.map((category) => `- ${category}: ${CATEGORY_DESCRIPTIONS[category]}`).join('\n')
  return `You find protected health information in clinical text so that it can be removed.
List every identifier of these categories:
${categories}
Copy each identifier exactly as it is written in the text, one entry per identifier. Leave out dates, phone numbers and other numbers that have their own rules. Reply with JSON only.`
}

/** The JSON schema the model answers under: `{phi: [{text, category}]}`. */
export function buildDeidSchema(): JsonSchema {
  return {
    type: 'object',
    properties: {
      phi: {
        type: 'array',
        maxItems: MODEL_LIMITS.maxItems,
        items: {
          type: 'object',
          properties: {text: {type: 'string', minLength: 2, maxLength: MODEL_LIMITS.maxChars}, category: {enum: [...MODEL_CATEGORIES]}},
        },
      },
    },
  } as JsonSchema
}
