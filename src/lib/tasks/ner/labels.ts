import {UsageError} from '../../errors/index.js'

/** The default entity labels of `ner`. */
export const DEFAULT_NER_LABELS = ['PROBLEM', 'TREATMENT', 'DRUG', 'TEST', 'PROCEDURE', 'ANATOMY'] as const

/** What the text says about an entity: it is there, negated, suspected, conditional, in the past, or in a relative. */
export const ASSERTIONS = ['present', 'absent', 'possible', 'hypothetical', 'historical', 'family'] as const

/** One of {@link ASSERTIONS}. */
export type Assertion = (typeof ASSERTIONS)[number]

const LABEL = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/
const MAX_LABELS = 32

/**
 * Parses `--labels`: comma-separated names (a letter, then letters, digits, `_` or `-`; at most 32 characters),
 * kept in the given case and order, duplicates removed. Throws a UsageError for an empty list or a bad name.
 */
export function parseLabels(spec: string): string[] {
  const labels = [...new Set(spec.split(',').map((label) => label.trim()).filter(Boolean))]
  const bad = labels.find((label) => !LABEL.test(label))
  if (labels.length === 0 || labels.length > MAX_LABELS || bad !== undefined) {
    const problem = bad === undefined ? `give between 1 and ${MAX_LABELS} labels` : `"${bad}" is not a label name`
    throw new UsageError(`--labels: ${problem}`, {hint: `e.g. --labels ${DEFAULT_NER_LABELS.join(',')}`}, 'E_BAD_LABELS')
  }

  return labels
}
