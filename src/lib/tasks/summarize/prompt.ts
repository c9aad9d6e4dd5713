/** How a summary is written: a few sentences, a discharge summary, or an I-PASS handoff. */
export const SUMMARY_STYLES = ['brief', 'discharge', 'handoff'] as const

/** One of {@link SUMMARY_STYLES}. */
export type SummaryStyle = (typeof SUMMARY_STYLES)[number]

const ROLE = 'You are a clinical documentation assistant.'
const RULES = 'Use only facts stated in the text; never add, guess or infer new facts. Answer with the summary only.'

const STYLE_INSTRUCTIONS: Record<SummaryStyle, string> = {
  brief: 'Summarize it in a few short sentences for a clinician. Keep diagnoses, medications with doses, key findings and the plan.',
  discharge:
    'Write it as a discharge summary with these headings, each on its own line: Diagnoses, Hospital course, Procedures, Discharge medications, Follow-up. Leave out a heading the text says nothing about.',
  handoff:
    'Write it as an I-PASS handoff with these headings, each on its own line: Illness severity, Patient summary, Action list, Situation awareness and contingency planning.',
}

function wordLimit(maxWords: number | undefined): string[] {
  return maxWords === undefined ? [] : [`Use at most ${maxWords} words.`]
}

/** The system prompt for a note that fits the context in one call. */
export function summarySystemPrompt(style: SummaryStyle, maxWords?: number): string {
  return [ROLE, 'The user gives you a clinical text.', STYLE_INSTRUCTIONS[style], ...wordLimit(maxWords), RULES].join(' ')
}

/** The system prompt for one part of a note too long for the context (the map step). */
export function chunkSystemPrompt(): string {
  return [
    ROLE,
    'The user gives you one part of a longer clinical note.',
    'Summarize this part in a few sentences, keeping diagnoses, medications with doses, findings, procedures, events with their dates, and the plan.',
    RULES,
  ].join(' ')
}

/** The system prompt that merges partial summaries; `final` applies the style and the word limit. */
export function mergeSystemPrompt(style: SummaryStyle, final: boolean, maxWords?: number): string {
  const intro = 'The user gives you summaries of consecutive parts of one long clinical note, in order.'
  if (!final) return [ROLE, intro, 'Combine them into one summary that keeps every diagnosis, medication, finding, procedure and plan item.', RULES].join(' ')
  return [ROLE, intro, 'Combine them into one summary of the whole note.', STYLE_INSTRUCTIONS[style], ...wordLimit(maxWords), RULES].join(' ')
}
