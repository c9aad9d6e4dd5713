import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, inject, it} from 'vitest'

import {runCli} from '../../helpers/spawn-cli.js'

const model = inject('tinyModelPath')
const common = ['--model', model, '--threads', '1', '--gpu', 'off', '--max-tokens', '256', '-q']
const parse = (stdout: string): Array<Record<string, unknown>> => stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line))

describe('bin/run.js extract (spawned)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-extract-spawn-'))
  })

  it('NDJSON in, one record out per line, in order, with data, evidence and unsupported (JSON Schema file)', async () => {
    const schema = join(dir, 'meds.schema.json')
    await writeFile(schema, JSON.stringify({type: 'object', properties: {meds: {type: 'array', maxItems: 2, items: {type: 'object', properties: {name: {type: 'string', maxLength: 12}}, required: ['name']}}}, required: ['meds']}))
    const input = '{"id":"a","text":"Metformin 500 mg bid.","mrn":7}\n{"id":"b","text":""}\n{"id":"c","text": broken\n'
    const {code, stdout, stderr} = await runCli(['extract', ...common, '--schema', schema], input)
    expect(code, stderr).toBe(9)
    const out = parse(stdout)
    expect(out.map((record) => record.id ?? record.line)).toEqual(['a', 'b', 3])
    expect(out[0]).toMatchObject({id: 'a', mrn: 7, data: {meds: expect.any(Array)}, evidence: expect.any(Array), unsupported: expect.any(Array)})
    expect(out[1]).toMatchObject({id: 'b', data: {meds: expect.any(Array)}})
    expect(out[2]).toMatchObject({error: {code: 'E_BAD_JSON'}})
  })

  it('a plain-text note in a pipe gives one NDJSON record; on the echo engine, values without text have no evidence', async () => {
    const {code, stdout} = await runCli(['extract', '--engine', 'echo', '--schema', 'patient, age int, meds [name, dose]'], 'Pt is 67. Metformin 500 mg.\n')
    expect(code).toBe(0)
    expect(parse(stdout)).toEqual([{line: 1, text: 'Pt is 67. Metformin 500 mg.\n', data: {patient: '', age: 0, meds: []}, evidence: [], unsupported: []}])
  })

  it.each([
    [['--schema', 'name, age integer'], /E_SCHEMA_SYNTAX.*unknown type "integer"/s],
    [['--schema', '{"type":"object","properties":{"a":{"type":"string","format":"date"}}}'], /E_SCHEMA_UNSUPPORTED.*"format"/s],
    [['--schema', 'a', '--examples', '/nonexistent/examples.ndjson'], /E_EXAMPLES/],
    [[], /Missing required flag schema/],
  ])('a bad schema or examples file is a usage error before any model loads: %j', async (flags, message) => {
    const {code, stdout, stderr} = await runCli(['extract', '--model', join(dir, 'no-model.gguf'), ...flags], 'text\n')
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toMatch(message)
  })

  it('--examples: a line off the schema is refused naming its line', async () => {
    const examples = join(dir, 'examples.ndjson')
    await writeFile(examples, '{"input":"Metformin 500 mg.","output":{"data":{"meds":[{"name":"Metformin","dose":"500 mg"}]}}}\n{"input":"x","output":{"data":{"meds":[{"name":1}]}}}\n')
    const {code, stderr} = await runCli(['extract', '--engine', 'echo', '--schema', 'meds [name, dose]', '--examples', examples], 'x\n')
    expect(code).toBe(2)
    expect(stderr).toMatch(/line 2: "output" is not in the command's output shape: \$\.meds\[0\]\.dose is missing; \$\.meds\[0\]\.name is not of type string/)
  })
})
