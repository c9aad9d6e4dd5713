import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {runCommand} from '@oclif/test'
import {beforeAll, describe, expect, it} from 'vitest'

import {defaultOutputFormat} from '../../../src/lib/pipeline/index.js'
import {nerTask, soapTask, summarizeTask} from '../../../src/lib/tasks/index.js'
import {root} from '../../helpers/spawn-cli.js'

const codes = join(root, 'test/fixtures/codes/icd10cm-order-sample.txt')
const lines = (stdout: string): Array<Record<string, unknown>> => stdout.trim().split('\n').map((line) => JSON.parse(line))

describe('default output format', () => {
  it('is NDJSON for NDJSON input, text for a text document, except structured tasks in a pipe', () => {
    for (const task of [summarizeTask, nerTask, soapTask]) expect(defaultOutputFormat(task, 'ndjson', true)).toBe('ndjson')
    expect(defaultOutputFormat(summarizeTask, 'text', false)).toBe('text')
    expect(defaultOutputFormat(nerTask, 'text', true)).toBe('text')
    expect(defaultOutputFormat(soapTask, 'text', true)).toBe('text')
    expect(defaultOutputFormat(nerTask, 'text', false)).toBe('ndjson')
    expect(defaultOutputFormat(soapTask, 'text', false)).toBe('ndjson')
  })
})

describe('ner, soap and summarize commands (echo engine, in process)', () => {
  let dir: string
  let records: string
  let note: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-tasks-cmd-'))
    records = join(dir, 'in.ndjson')
    note = join(dir, 'note.txt')
    await writeFile(records, '{"id":"a","text":"Pt denies chest pain."}\n{"id":"b","text":""}\n')
    await writeFile(note, 'Pt denies chest pain.\n')
  })

  it('ner adds entities and dropped to every record', async () => {
    const {stdout, error} = await runCommand(['ner', '--engine', 'echo', '-i', records, '--labels', 'Disease,Chemical'], {root})
    expect(error).toBeUndefined()
    expect(lines(stdout)).toEqual([
      {id: 'a', text: 'Pt denies chest pain.', entities: [], dropped: 0},
      {id: 'b', text: '', entities: [], dropped: 0},
    ])
  })

  it('ner writes NDJSON for a text document when stdout is not a terminal, and an entity list with --format text', async () => {
    const piped = await runCommand(['ner', '--engine', 'echo', '-i', note], {root})
    expect(lines(piped.stdout)).toEqual([{id: note, text: 'Pt denies chest pain.\n', entities: [], dropped: 0}])
    const text = await runCommand(['ner', '--engine', 'echo', '-i', note, '--format', 'text'], {root})
    expect(text.stdout).toBe('0 entities\n')
  })

  it('ner --link icd10cm --codes reads the table, and refuses a bad table, bad labels, or --codes without --link', async () => {
    const ok = await runCommand(['ner', '--engine', 'echo', '-i', records, '--link', 'icd10cm', '--codes', codes], {root})
    expect(ok.error).toBeUndefined()
    const badTable = await runCommand(['ner', '--engine', 'echo', '-i', records, '--link', 'icd10cm', '--codes', records], {root})
    expect(badTable.error?.oclif?.exit).toBe(8)
    expect(badTable.stderr).toContain('E_CODES_FORMAT')
    const badLabels = await runCommand(['ner', '--engine', 'echo', '-i', records, '--labels', 'PROBLEM,1bad'], {root})
    expect(badLabels.error?.oclif?.exit).toBe(2)
    expect(badLabels.stderr).toContain('E_BAD_LABELS')
    const noLink = await runCommand(['ner', '--engine', 'echo', '-i', records, '--codes', codes], {root})
    expect(noLink.error?.oclif?.exit).toBe(2)
  })

  it('soap adds the four sections to every record, and renders a SOAP note with --format text', async () => {
    const {stdout, error} = await runCommand(['soap', '--engine', 'echo', '-i', records], {root})
    expect(error).toBeUndefined()
    for (const record of lines(stdout)) expect(record.soap).toEqual({subjective: [], objective: [], assessment: [], plan: [], review_required: false})
    const text = await runCommand(['soap', '--engine', 'echo', '-i', note, '--format', 'text'], {root})
    expect(text.stdout).toMatch(/^SUBJECTIVE\n[\s\S]*\n\nOBJECTIVE\n[\s\S]*\n\nASSESSMENT\n[\s\S]*\n\nPLAN\n/)
  })

  it('-j takes auto (the default) or 1 to 256, and refuses anything else as a usage error (exit 2)', async () => {
    for (const parallel of [[], ['-j', 'auto'], ['-j', '1'], ['--parallel', '256']]) {
      const {stdout, error} = await runCommand(['summarize', '--engine', 'echo', '-i', records, ...parallel], {root})
      expect(error).toBeUndefined()
      expect(lines(stdout).map((record) => record.id)).toEqual(['a', 'b'])
    }

    for (const bad of ['0', '257', '1.5', 'fast']) {
      const {error, stderr} = await runCommand(['summarize', '--engine', 'echo', '-i', records, '-j', bad], {root})
      expect(error?.oclif?.exit).toBe(2)
      expect(stderr).toContain('Expected auto or a whole number from 1 to 256')
    }
  })

  it('summarize takes --style and --max-words, and keeps text output for a text document', async () => {
    const {stdout, error} = await runCommand(['summarize', '--engine', 'echo', '-i', note, '--style', 'discharge', '--max-words', '2'], {root})
    expect(error).toBeUndefined()
    expect(stdout).toBe('Pt denies\n')
    const bad = await runCommand(['summarize', '--engine', 'echo', '-i', note, '--style', 'poem'], {root})
    expect(bad.error?.oclif?.exit).toBe(2)
  })
})
