import {createRuleDetector, resolvePhi, type PhiCategory, type RuleDetector} from '../../../src/lib/deid/index.js'

let detector: Promise<RuleDetector> | undefined

/** The rule detector with the built-in patterns (chrono-node loads once per file). */
export function rules(): Promise<RuleDetector> {
  detector ??= createRuleDetector()
  return detector
}

/** The merged rule spans of `text` as [category, text] pairs, in order. */
export async function found(text: string): Promise<Array<[PhiCategory, string]>> {
  const detect = await rules()
  return resolvePhi(text, detect(text)).map((span) => [span.category, text.slice(span.start, span.end)])
}

/** The texts of the spans of one category. */
export async function foundOf(category: PhiCategory, text: string): Promise<string[]> {
  return (await found(text)).filter(([c]) => c === category).map(([, value]) => value)
}
