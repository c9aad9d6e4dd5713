import type {PhiCategory} from '../categories.js'

/** A span a rule found: `[start, end)` of the source, and its category. */
export interface RuleMatch {
  category: PhiCategory
  start: number
  end: number
}

/** Every match of a global regex, as rule matches of one category; group 1 is the span when the regex has it. */
export function matchesOf(text: string, pattern: RegExp, category: PhiCategory): RuleMatch[] {
  const found: RuleMatch[] = []
  for (const match of text.matchAll(pattern)) {
    const value = match[1] ?? match[0]
    const start = match[1] === undefined ? match.index : match.index + match[0].indexOf(value)
    if (value.length > 0) found.push({category, start, end: start + value.length})
  }

  return found
}
