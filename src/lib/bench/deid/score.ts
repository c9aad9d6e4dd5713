import {PHI_CATEGORIES, RULE_CATEGORIES, type PhiCategory, type PhiSpan} from '../../deid/index.js'
import {scoreSpans, type LabeledSpan, type PrfFigures} from '../ner.js'
import type {DeidDocument} from './corpus.js'

/** The figures of one PHI category on the generated corpus. */
export interface DeidCategoryFigures {
  /** Which detector the category is measured for: the rules (a promise), or the model (depends on the model). */
  detector: 'model' | 'rule'
  /** Same span and category. */
  strict: PrfFigures
  /** Same category, overlapping spans. */
  overlap: PrfFigures
  /** Inserted identifiers of which any character survives in the de-identified text (not inside any PHI span). */
  leaked: number
}

/** The deid figures of a corpus. */
export interface DeidFigures {
  documents: number
  /** Identifiers inserted. */
  inserted: number
  /** Documents the task failed on (their identifiers count as missed and leaked). */
  failedDocuments: number
  /** Per category that was inserted or predicted. */
  categories: Partial<Record<PhiCategory, DeidCategoryFigures>>
  /** Inserted identifiers that survive, summed over the rule categories and over the model categories. */
  leakage: {rule: number; model: number}
  /** Predicted spans (after merging) that came from the model: 0 says the model found nothing the rules had not. */
  modelSpans: number
}

const isRuleCategory = (category: string): boolean => (RULE_CATEGORIES as readonly string[]).includes(category)

/**
 * Scores predicted PHI spans (undefined for a failed document) against the inserted ones, per category (strict
 * and overlap P/R/F1, as NER is scored). Spans found in the base texts count as false positives, so precision is
 * a lower bound when those texts hold identifiers of their own. Leakage is position-based: an inserted identifier
 * leaks when some character of it lies outside every predicted span, whatever their categories.
 */
export function scoreDeid(documents: readonly DeidDocument[], predicted: ReadonlyArray<readonly PhiSpan[] | undefined>): DeidFigures {
  const present = new Set<string>([...documents.flatMap((d) => d.gold.map((g) => g.label)), ...predicted.flatMap((p) => (p ?? []).map((s) => s.category))])
  const categories: DeidFigures['categories'] = {}
  const leakage = {rule: 0, model: 0}
  for (const category of PHI_CATEGORIES.filter((c) => present.has(c))) {
    const gold = documents.map((d) => d.gold.filter((g) => g.label === category))
    const found = predicted.map((p) => (p ?? []).filter((s) => s.category === category).map((s): LabeledSpan => ({start: s.start, end: s.end, label: s.category})))
    const leaked = gold.reduce((sum, spans, i) => sum + spans.filter((g) => !covered(g, predicted[i] ?? [])).length, 0)
    const detector = isRuleCategory(category) ? 'rule' : 'model'
    categories[category] = {detector, ...scoreSpans(gold, found), leaked}
    leakage[detector] += leaked
  }

  return {
    documents: documents.length,
    inserted: documents.reduce((sum, d) => sum + d.gold.length, 0),
    failedDocuments: predicted.filter((p) => p === undefined).length,
    categories,
    leakage,
    modelSpans: predicted.reduce((sum, spans) => sum + (spans ?? []).filter((span) => span.source === 'model').length, 0),
  }
}

function covered(gold: LabeledSpan, spans: readonly PhiSpan[]): boolean {
  let at = gold.start
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    if (span.start <= at && span.end > at) at = span.end
    if (at >= gold.end) return true
  }

  return at >= gold.end
}
