import {readFile} from 'node:fs/promises'

import {checkJsonSchema, type JsonSchema} from '../../engine/index.js'
import {UsageError} from '../../errors/index.js'

const LABEL = /^[\w][\w .\-/]{0,39}$/u
const MAX_LABELS = 32

/** Entities one `--labels` answer may hold, and characters per entity: bounds keep generation finite. */
export const LABELS_LIMITS = {entities: 32, textLength: 120} as const

/** The schema of `--labels` extraction: `{"entities": [{"text": …, "label": one of labels}]}`. */
export function labelsSchema(labels: readonly string[]): JsonSchema {
  return {
    type: 'object',
    properties: {
      entities: {
        type: 'array',
        maxItems: LABELS_LIMITS.entities,
        items: {
          type: 'object',
          properties: {
            text: {type: 'string', minLength: 1, maxLength: LABELS_LIMITS.textLength},
            label: {enum: [...labels]},
          },
        },
      },
    },
  } as JsonSchema
}

/** Parses `--labels a,b,c`: trimmed, distinct, 1 to 32 names of letters, digits, spaces, `_ . - /`. Throws a UsageError. */
export function parseLabelList(spec: string): string[] {
  const labels = [...new Set(spec.split(',').map((label) => label.trim()).filter(Boolean))]
  const bad = labels.find((label) => !LABEL.test(label))
  if (labels.length === 0 || labels.length > MAX_LABELS || bad !== undefined) {
    const problem = bad === undefined ? `give between 1 and ${MAX_LABELS} labels` : `"${bad}" is not a label name`
    throw new UsageError(`--labels: ${problem}`, {hint: 'e.g. --labels test,value,unit,date'}, 'E_BAD_LABELS')
  }

  return labels
}

/**
 * Reads a JSON schema file for `--schema` and checks that it can be enforced exactly (see the engine's
 * `checkJsonSchema`). Throws a UsageError naming the problems (pointers and keywords, no values).
 */
export async function readSchemaFile(path: string): Promise<JsonSchema> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new UsageError(`Cannot read the schema file ${path}: ${(error as NodeJS.ErrnoException).code}`, {cause: error, hint: 'Check the path given to --schema.'}, 'E_SCHEMA_FILE')
  }

  let schema: unknown
  try {
    schema = JSON.parse(text)
  } catch (error) {
    throw new UsageError(`The schema file ${path} is not valid JSON`, {cause: error, hint: 'Check it with: jq . FILE'}, 'E_SCHEMA_FILE')
  }

  const problems = checkJsonSchema(schema)
  if (problems.length > 0) {
    throw new UsageError(`The schema in ${path} cannot be enforced: ${problems.slice(0, 5).join('; ')}`, {
      hint: 'Supported: type, properties, items, prefixItems, enum, const, oneOf/anyOf, $defs/$ref, min/maxLength, min/maxItems, required. Not: pattern, format, minimum/maximum.',
    }, 'E_SCHEMA_UNSUPPORTED')
  }

  return schema as JsonSchema
}
