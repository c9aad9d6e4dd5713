import {mkdtemp, readFile, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, inject, it} from 'vitest'

import {runCli} from '../../helpers/spawn-cli.js'

const model = inject('tinyModelPath')
const common = ['--model', model, '--threads', '1', '--gpu', 'off', '--max-tokens', '16']
const MARKERS = ['Zebulon', 'Quixtar', 'QX7734921']
const parse = (stdout: string): Array<Record<string, unknown>> => stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line))

describe('bin/run.js deid (spawned, real llama.cpp on a random-weight model)', () => {
  let dir: string
  let input: string
  const records = [
    {id: 'a', pid: 'P1', text: 'Patient: Zebulon Quixtar\nMRN: QX7734921\nSeen 3/4/21 for chest pain. Zebulon reports no fever.'},
    {id: 'b', pid: 'P1', text: 'Follow-up 3/18/21. Mr. Quixtar is better. MRN QX7734921, call 617-555-0134.'},
    {id: 'c', pid: 'P2', text: 'Name: Zebulon Quixtar, DOB 02/14/1931 (95 yo). Medical record number QX7734921.'},
  ]

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-deid-spawn-'))
    input = join(dir, 'notes.ndjson')
    await writeFile(input, records.map((record) => JSON.stringify(record)).join('\n') + '\n')
    await writeFile(join(dir, 'deid.key'), 'a spawn-test key of sixteen characters or more\n')
  })

  it('keeps the marker name and MRN out of stdout, stderr (verbose) and --audit; --map holds them, mode 0600', async () => {
    const map = join(dir, 'map.ndjson')
    const audit = join(dir, 'audit.ndjson')
    const args = ['deid', ...common, '--mode', 'surrogate', '--patient-field', 'pid', '--key-file', join(dir, 'deid.key'), '--map', map, '--audit', audit, '--verbose', '-i', input]
    const {code, stdout, stderr} = await runCli(args)
    expect(code, stderr).toBe(0)
    const auditText = await readFile(audit, 'utf8')
    for (const marker of MARKERS) {
      for (const [where, text] of Object.entries({stdout, stderr, audit: auditText})) expect(text.toLowerCase().includes(marker.toLowerCase()), `${marker} in ${where}`).toBe(false)
    }

    const out = parse(stdout)
    expect(out.map((record) => record.id)).toEqual(['a', 'b', 'c'])
    for (const record of out) {
      expect(record).not.toHaveProperty('text')
      expect(record).toMatchObject({pid: expect.any(String), deid_text: expect.any(String), phi: expect.any(Array)})
      for (const span of record.phi as Array<{deid_start: number; deid_end: number; source: string}>) {
        expect(span.source).toMatch(/^(rule|model)$/)
        expect(span.deid_end).toBeGreaterThan(span.deid_start)
      }
    }

    expect(auditText.trimEnd().split('\n')).toHaveLength(3)
    expect((await stat(map)).mode & 0o777).toBe(0o600)
    const lines = parse(await readFile(map, 'utf8'))
    const originals = new Set(lines.map((line) => line.original))
    for (const value of ['Zebulon Quixtar', 'QX7734921', 'Quixtar', 'Zebulon']) expect(originals.has(value), value).toBe(true)
    // The same original gets the same surrogate within patient P1, another one in P2.
    const surrogateOf = (patient: string, original: string): Set<unknown> =>
      new Set(lines.filter((line) => line.patient === patient && line.original === original).map((line) => line.replacement))
    expect(surrogateOf('P1', 'QX7734921').size).toBe(1)
    expect([...surrogateOf('P2', 'QX7734921')]).not.toEqual([...surrogateOf('P1', 'QX7734921')])
    for (const line of lines) {
      const record = records.find((r) => r.id === line.id)!
      expect(record.text.slice(line.start as number, line.end as number)).toBe(line.original)
    }
  })

  it('refuses --mode hash without a key (exit 2, with a hint), and masks a plain-text note into plain text', async () => {
    const refused = await runCli(['deid', '--rules-only', '--mode', 'hash'], 'Patient: Zebulon Quixtar', {JSL_MED_DEID_KEY: ''})
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/E_NO_KEY[\s\S]*Hint: .*--key-file/)
    expect(refused.stdout).toBe('')
    const masked = await runCli(['deid', ...common], 'Patient: Zebulon Quixtar, MRN: QX7734921, seen 04-Mar-2021.\n')
    expect(masked.code, masked.stderr).toBe(0)
    // What the random-weight model proposes may mask more words; the rules' spans are masked in any case.
    expect(masked.stdout).toMatch(/^Patient: \[NAME], MRN: \[MRN], seen \[DATE]/)
    expect(masked.stdout.split('\n')).toHaveLength(2)
  })
})
