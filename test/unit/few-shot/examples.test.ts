import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {createExtractTask, createNerTask, parseConciseSchema, readExamples, soapTask, summarizeTask, type Task} from '../../../src/lib/tasks/index.js'
import {scriptedEngine} from '../tasks/fake-engine.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jsl-med-examples-'))
})

async function file(lines: unknown[]): Promise<string> {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.ndjson`)
  await writeFile(path, lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n')
  return path
}

const extract = createExtractTask({schema: parseConciseSchema('meds [name, dose]')})

describe('readExamples', () => {
  it("turns each pair into a user turn and the reply the model should give, in the task's answer shape", async () => {
    const ner = await readExamples(await file([{input: 'Pt denies chest pain.', output: {entities: [{text: 'Chest pain', label: 'PROBLEM', assertion: 'absent', start: 10, end: 20}], dropped: 0}}]), createNerTask())
    expect(ner).toEqual([{user: 'Pt denies chest pain.', reply: '{"entities":[{"text":"Chest pain","label":"PROBLEM","assertion":"absent"}]}'}])
    const soap = {subjective: [{statement: 'Cough.', evidence: 'I cough.', start: 0, end: 8, unsupported: false}], objective: [], assessment: [], plan: [], review_required: false}
    expect(await readExamples(await file([{input: 'I cough.', output: {soap}}]), soapTask)).toEqual([
      {user: 'I cough.', reply: '{"subjective":[{"statement":"Cough.","evidence":"I cough."}],"objective":[],"assessment":[],"plan":[]}'},
    ])
    expect(await readExamples(await file(['', {input: 'Long note.', output: {summary: ' Short. '}}, '  ']), summarizeTask)).toEqual([{user: 'Long note.', reply: 'Short.'}])
    expect(await readExamples(await file([{input: 'Metformin 500 mg.', output: {data: {meds: [{name: 'Metformin', dose: '500 mg'}]}}}]), extract)).toEqual([
      {user: 'Metformin 500 mg.', reply: '{"meds":[{"name":"Metformin","dose":"500 mg"}]}'},
    ])
  })

  it.each<[string, Task, unknown[], RegExp]>([
    ['bad JSON', summarizeTask, [{input: 'a', output: {summary: 'b'}}, '{"input": '], /line 2: not valid JSON/],
    ['no input', summarizeTask, [{output: {summary: 'b'}}], /line 1: "input" must be a non-empty string/],
    ['output not an object', summarizeTask, [{input: 'a', output: 'b'}], /line 1: "output" must be an object/],
    ['wrong shape', summarizeTask, [{input: 'a', output: {text: 'b'}}], /line 1: "output" is not in the command's output shape: \$\.summary is missing/],
    ['unknown label', createNerTask(), [{input: 'a b', output: {entities: [{text: 'a', label: 'X', assertion: 'present'}]}}], /\$\.entities\[0\]\.label is not one of the enum values/],
    ['mention not in the input', createNerTask(), [{input: 'a b', output: {entities: [{text: 'z#z', label: 'DRUG', assertion: 'present'}]}}], /entities\[0\]\.text is not in the input/],
    ['evidence not in the input', soapTask, [{input: 'a', output: {soap: {subjective: [{statement: 's', evidence: 'z#z'}], objective: [], assessment: [], plan: []}}}], /soap\.subjective\[0\]\.evidence is not in the input/],
    ['data off the schema', extract, [{input: 'a', output: {data: {meds: [{name: 'a'}]}}}], /\$\.meds\[0\]\.dose is missing/],
    ['no examples', summarizeTask, ['', ' '], /holds no examples/],
  ])('refuses %s with a usage error naming the line', async (_, task, lines, message) => {
    const error = await readExamples(await file(lines), task).catch((caught: unknown) => caught)
    expect(error).toMatchObject({exitCode: 2, code: 'E_EXAMPLES'})
    expect((error as Error).message).toMatch(message)
    // Never the text of the example.
    expect((error as Error).message).not.toContain('z#z') // '#' never appears in a temporary file's name
  })

  it('are sent after the system prompt of every structured call', async () => {
    const examples = [{user: 'Metformin.', reply: '{"meds":[]}'}]
    const engine = scriptedEngine(() => ({json: {meds: []}}))
    await extract.run('note', {engine, settings: {maxTokens: 16, temperature: 0, examples}})
    expect(engine.requests[0].examples).toEqual(examples)
  })
})
