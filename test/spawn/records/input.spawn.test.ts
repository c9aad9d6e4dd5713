import {mkdir, mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, inject, it} from 'vitest'

import {root, runCli, runProcess} from '../../helpers/spawn-cli.js'

const model = inject('tinyModelPath')
const tiny = ['--model', model, '--threads', '1', '--gpu', 'off', '--max-tokens', '4']
const echo = ['--engine', 'echo']
const parse = (stdout: string): Array<Record<string, unknown>> => stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line))

describe('bin/run.js input handling (spawned)', () => {
  let dir: string
  let note: string
  let records: string
  let folder: string
  let env: Record<string, string>

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-input-spawn-'))
    note = join(dir, 'note.txt')
    records = join(dir, 'records.ndjson')
    folder = join(dir, 'notes')
    await writeFile(note, 'Pt is a 67yo M with CHF.\nBP 150/90.\n')
    await writeFile(records, '{"id":"r1","text":"Denies chest pain."}\n{"text":"On lisinopril."}\n')
    await mkdir(folder)
    env = {JSL_MED_DATA_DIR: join(dir, 'data'), JSL_MED_CACHE_DIR: join(dir, 'cache'), JSL_MED_CONFIG_DIR: join(dir, 'config')}
  })

  it('reads a file argument before the flags (no "command summarize:note.txt not found"), text in, text out', async () => {
    const {code, stdout, stderr} = await runCli(['summarize', note, ...echo], '', env)
    expect(code, stderr).toBe(0)
    expect(stdout.trim().length).toBeGreaterThan(0)
    expect(() => JSON.parse(stdout)).toThrow()
  })

  it('reads text and NDJSON files and - in order, one record per input, ids from text file names', async () => {
    for (const command of ['summarize', 'ner', 'soap']) {
      const {code, stdout, stderr} = await runCli([command, ...echo, note, records, '-'], 'From stdin.\n', env)
      expect(code, `${command}: ${stderr}`).toBe(0)
      const out = parse(stdout)
      expect(out.map((record) => record.id ?? `line ${record.line}`)).toEqual([note, 'r1', 'line 4', 'line 5'])
      expect(out.map((record) => record.text)).toEqual(['Pt is a 67yo M with CHF.\nBP 150/90.\n', 'Denies chest pain.', 'On lisinopril.', 'From stdin.\n'])
    }
  })

  it('runs file arguments through the real model, and refuses them together with --input', async () => {
    const {code, stdout, stderr} = await runCli(['ner', ...tiny, records, note], '', env)
    expect(code, stderr).toBe(0)
    const out = parse(stdout)
    expect(out.map((record) => record.id ?? record.line)).toEqual(['r1', 2, note])
    for (const record of out) expect(record).toMatchObject({entities: expect.any(Array)})
    const twice = await runCli(['summarize', ...echo, '-i', records, note], '', env)
    expect(twice.code).toBe(2)
    expect(twice.stderr).toMatch(/Hint: /)
  })

  it('writes no record for empty input and exits 0 with a note on stderr, without loading the model', async () => {
    for (const stdin of ['', '\n  \n']) {
      const {code, stdout, stderr} = await runCli(['summarize', ...tiny, '--verbose'], stdin, env)
      expect(code, stderr).toBe(0)
      expect(stdout).toBe('')
      expect(stderr).toMatch(/empty/)
      expect(stderr).not.toContain('llama.cpp')
    }
  })

  it('refuses a JSON array on stdin (exit 8) with "one object per line" and the jq -c hint, writing nothing', async () => {
    const {code, stdout, stderr} = await runCli(['ner', ...echo], '[{"id":1,"text":"PATIENT-SECRET"},{"id":2,"text":"b"}]\n', env)
    expect(code).toBe(8)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/Error \[E_JSON_ARRAY]: .*one object per line/)
    expect(stderr).toContain("jq -c '.[]'")
    expect(stderr).not.toContain('PATIENT-SECRET')
  })

  it('refuses a header line before NDJSON (exit 8), and names the fields a record has when its text field is missing', async () => {
    const header = await runCli(['summarize', ...echo], 'id,text\n{"id":1,"text":"a"}\n', env)
    expect(header.code).toBe(8)
    expect(header.stderr).toMatch(/E_HEADER_LINE[\s\S]*Hint: .*--input-format/)
    const missing = await runCli(['summarize', ...echo], '{"id":1,"note":"PATIENT-SECRET","mrn":"12345"}\n', env)
    expect(missing.code).toBe(9)
    const [record] = parse(missing.stdout)
    expect(record).toMatchObject({id: 1, error: {code: 'E_FIELD_MISSING', hint: expect.stringContaining('"note"')}})
    expect(String((record.error as {hint: string}).hint)).toMatch(/"mrn".*--field note/)
    expect(missing.stdout + missing.stderr).not.toMatch(/PATIENT-SECRET|12345/)
  })

  it('exits 2 with a hint for a directory as input (-i or an argument), as --model (with or without ./) and for pull', async () => {
    for (const args of [['-i', folder], [folder]]) {
      const {code, stdout, stderr} = await runCli(['summarize', ...echo, ...args], '', env)
      expect(code, stderr).toBe(2)
      expect(stdout).toBe('')
      expect(stderr).toMatch(/Error \[E_INPUT_IS_DIR]/)
      expect(stderr).toMatch(/Hint: .*\*\.txt/)
      expect(stderr).not.toMatch(/E_INTERNAL|bug/)
    }

    // Run inside the test dir, so that `notes` and `./notes` name the same directory.
    const inDir = (args: string): ReturnType<typeof runProcess> => runProcess('bash', ['-c', `cd '${dir}' && node '${root}bin/run.js' ${args}`], 'note', env)
    const bare = await inDir('summarize --model notes')
    const dotted = await inDir('summarize --model ./notes')
    expect([bare.code, dotted.code]).toEqual([2, 2])
    expect(dotted.stderr.replaceAll('./notes', 'notes')).toBe(bare.stderr)
    expect(bare.stderr).toMatch(/Error \[E_MODEL_IS_DIR][\s\S]*Hint: /)
    const pull = await runCli(['pull', folder], '', env)
    expect(pull.code).toBe(2)
    expect(pull.stderr).toMatch(/E_MODEL_IS_DIR/)
    expect(pull.stderr).not.toContain('--model')
  })
})
