import type {JsonSchema} from '../../engine/index.js'

/** The four sections of a SOAP note, in order. */
export const SOAP_SECTIONS = ['subjective', 'objective', 'assessment', 'plan'] as const

/** One of {@link SOAP_SECTIONS}. */
export type SoapSection = (typeof SOAP_SECTIONS)[number]

const EXAMPLE_TEXT = [
  'Doctor: What brings you in today?',
  'Patient: I have had a cough and fever for three days.',
  'Doctor: Your temperature is 38.4 and I hear crackles on the right.',
  'Doctor: This looks like pneumonia. I will start amoxicillin and see you in one week.',
].join('\n')

const EXAMPLE = {
  subjective: [{statement: 'Cough and fever for three days.', evidence: 'I have had a cough and fever for three days.'}],
  objective: [
    {statement: 'Temperature 38.4.', evidence: 'Your temperature is 38.4 and I hear crackles on the right.'},
    {statement: 'Crackles on the right.', evidence: 'Your temperature is 38.4 and I hear crackles on the right.'},
  ],
  assessment: [{statement: 'Likely pneumonia.', evidence: 'This looks like pneumonia.'}],
  plan: [
    {statement: 'Start amoxicillin.', evidence: 'I will start amoxicillin and see you in one week.'},
    {statement: 'Follow up in one week.', evidence: 'I will start amoxicillin and see you in one week.'},
  ],
}

/** The system prompt of `soap`: what goes where, evidence copied verbatim, and one example. */
export const SOAP_SYSTEM_PROMPT = [
  'You turn a clinical dialogue, transcript or note into a SOAP note.',
  'subjective: what the patient reports (symptoms, history, concerns). objective: what was observed or measured',
  '(vital signs, examination, test results). assessment: diagnoses and the clinician\'s impressions. plan: treatments,',
  'tests ordered, referrals, follow-up, instructions.',
  'Each item has "statement", a short statement, and "evidence", the sentence of the text that supports it, copied exactly.',
  'Use only facts stated in the text. Leave a section empty when the text says nothing for it. Answer with JSON only.',
  `Example text:\n${EXAMPLE_TEXT}`,
  `Example answer: ${JSON.stringify(EXAMPLE)}`,
].join('\n')

/** Bounds of the SOAP schema. */
export interface SoapSchemaOptions {
  maxStatements: number
  maxStatementChars: number
  maxEvidenceChars: number
}

/** The JSON schema of the model's answer: always the four sections, each a bounded list of statements. */
export function buildSoapSchema({maxStatements, maxStatementChars, maxEvidenceChars}: SoapSchemaOptions): JsonSchema {
  const section = {
    type: 'array',
    maxItems: maxStatements,
    items: {
      type: 'object',
      properties: {
        statement: {type: 'string', minLength: 1, maxLength: maxStatementChars},
        evidence: {type: 'string', minLength: 1, maxLength: maxEvidenceChars},
      },
    },
  }
  return {type: 'object', properties: Object.fromEntries(SOAP_SECTIONS.map((name) => [name, section]))} as JsonSchema
}
