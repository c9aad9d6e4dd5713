import {describe, expect, inject, it} from 'vitest'

import {runCli} from '../../helpers/spawn-cli.js'

const model = inject('tinyModelPath')
const common = ['--model', model, '--threads', '1', '--max-tokens', '8', '--gpu', 'off']

describe('bin/run.js summarize (spawned, real llama.cpp)', () => {
  it('writes one NDJSON line per input line, in order, and exits 9 when one record is malformed', async () => {
    const input = ['{"id":"a","text":"Pt is a 67yo M with CHF."}', '{"id":"b","text": oops', '{"id":"c","text":"BP 150/90, on lisinopril 10 mg."}'].join('\n') + '\n'
    const {code, stdout, stderr} = await runCli(['summarize', ...common], input)
    const lines = stdout.split('\n').filter(Boolean)
    expect(lines).toHaveLength(3)
    const records = lines.map((line) => JSON.parse(line))
    expect(records[0]).toMatchObject({id: 'a', text: 'Pt is a 67yo M with CHF.', summary: expect.any(String)})
    expect(records[1]).toEqual({line: 2, error: expect.objectContaining({code: 'E_BAD_JSON', message: expect.any(String), hint: expect.any(String)})})
    expect(records[2]).toMatchObject({id: 'c', summary: expect.any(String)})
    expect(stderr).toContain('E_BAD_JSON')
    expect(stderr).toContain('E_PARTIAL')
    expect(code).toBe(9)
  })

  it('turns a plain-text note into plain text and exits 0', async () => {
    const {code, stdout, stderr} = await runCli(['summarize', ...common], 'Pt is a 67yo M with CHF.\n')
    expect(code).toBe(0)
    expect(stdout.endsWith('\n')).toBe(true)
    expect(() => JSON.parse(stdout)).toThrow()
    expect(stderr).not.toMatch(/Error/)
  })

  it('writes NDJSON for a plain-text note with --format ndjson', async () => {
    const {code, stdout} = await runCli(['summarize', ...common, '--format', 'ndjson'], 'Pt is a 67yo M with CHF.')
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({line: 1, text: 'Pt is a 67yo M with CHF.', summary: expect.any(String)})
  })

  it('keeps stdout free of llama.cpp logs even with --verbose', async () => {
    const {code, stdout, stderr} = await runCli(['summarize', ...common, '--verbose'], '{"id":1,"text":"x"}\n')
    expect(code).toBe(0)
    expect(stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line))).toEqual([expect.objectContaining({id: 1})])
    expect(stderr).toContain('llama.cpp')
  })

  it('exits 4 with a hint for a missing model', async () => {
    const {code, stdout, stderr} = await runCli(['summarize', '--model', 'missing.gguf'], 'note')
    expect(code).toBe(4)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/Error \[E_MODEL_NOT_FOUND]/)
    expect(stderr).toMatch(/Hint: /)
  })

  it('exits 7 for a file that is not a GGUF model, without a native crash', async () => {
    const {code, stderr} = await runCli(['summarize', '--model', 'package.json'], 'note')
    expect(code).toBe(7)
    expect(stderr).toMatch(/E_MODEL_INVALID/)
  })

  it('exits 2 for a usage error', async () => {
    const noModel = await runCli(['summarize'], 'note', {JSL_MED_MODEL: ''})
    expect(noModel.code).toBe(2)
    expect(noModel.stderr).toMatch(/E_NO_MODEL/)
    const badFlag = await runCli(['summarize', '--no-such-flag'], '')
    expect(badFlag.code).toBe(2)
    expect(badFlag.stderr).toMatch(/E_USAGE/)
    for (const flag of ['--temperature', '--max-tokens']) {
      const badValue = await runCli(['summarize', '--engine', 'echo', flag, 'abc'], 'x\n')
      expect({flag, code: badValue.code}).toEqual({flag, code: 2})
      expect(badValue.stderr).toContain(`[E_USAGE]: ${flag}: Expected`)
    }
  })

  it('lists the commands in --help', async () => {
    const {code, stdout} = await runCli(['--help'])
    expect(code).toBe(0)
    expect(stdout).toMatch(/summarize\s+Summarize clinical notes/)
  })
})
