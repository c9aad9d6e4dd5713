import type {Task} from '../types.js'

const SYSTEM_PROMPT = [
  'You are a clinical documentation assistant.',
  'Summarize the clinical text the user gives you in a few short sentences for a clinician.',
  'Keep diagnoses, medications with doses, key findings and the plan.',
  'Use only facts stated in the text; never add, guess or infer new facts.',
  'Answer with the summary only.',
].join(' ')

/** `summarize`: a short factual summary of a clinical note, stored in `summary`. */
export const summarizeTask: Task<string> = {
  name: 'summarize',
  outputField: 'summary',
  async run(text, {engine, settings, signal}) {
    if (text.trim() === '') return ''
    const generation = await engine.chat({system: SYSTEM_PROMPT, user: text, signal, ...settings})
    return generation.text.trim()
  },
  renderText: (summary) => summary,
}
