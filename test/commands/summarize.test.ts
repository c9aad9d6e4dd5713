import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {runCommand} from '@oclif/test'
import {beforeAll, describe, expect, it} from 'vitest'

import {root} from '../helpers/spawn-cli.js'

describe('summarize command (echo engine, in process)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-cmd-'))
  })

  it('reads --input and writes NDJSON to stdout', async () => {
    const input = join(dir, 'in.ndjson')
    await writeFile(input, '{"id":1,"text":"one two three"}\n{"id":2,"text":"four five"}\n')
    const {stdout, error} = await runCommand(['summarize', '--engine', 'echo', '-i', input, '--max-tokens', '2'], {root})
    expect(error).toBeUndefined()
    expect(stdout.trim().split('\n').map((line) => JSON.parse(line))).toEqual([
      {id: 1, text: 'one two three', summary: 'one two'},
      {id: 2, text: 'four five', summary: 'four five'},
    ])
  })

  it('writes to --output and exits 9 with an error record for a bad line', async () => {
    const input = join(dir, 'bad.ndjson')
    const output = join(dir, 'out.ndjson')
    await writeFile(input, '{"id":1,"text":"ok"}\nnot json\n')
    const {stdout, stderr, error} = await runCommand(['summarize', '--engine', 'echo', '-i', input, '-o', output], {root})
    expect(stdout).toBe('')
    expect(stderr).toContain('E_BAD_JSON')
    expect(error?.oclif?.exit).toBe(9)
    const {readFile} = await import('node:fs/promises')
    expect((await readFile(output, 'utf8')).trim().split('\n')).toHaveLength(2)
  })

  it('exits 8 when the input file cannot be read', async () => {
    const {error, stderr} = await runCommand(['summarize', '--engine', 'echo', '-i', join(dir, 'nope.ndjson')], {root})
    expect(error?.oclif?.exit).toBe(8)
    expect(stderr).toContain('E_INPUT_FILE')
  })

  it('rejects out-of-range flags as usage errors', async () => {
    const {error} = await runCommand(['summarize', '--engine', 'echo', '--threads', '0'], {root})
    expect(error?.oclif?.exit).toBe(2)
  })
})
