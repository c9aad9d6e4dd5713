import {access, mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../../helpers/spawn-cli.js'

// --shard I/N and jsl-med merge end to end on the echo engine (no model): the contract the Slurm and ssh recipes rely on.
const echo = ['summarize', '--engine', 'echo', '--quiet']
const ids = (ndjson: string): unknown[] => ndjson.split('\n').filter(Boolean).map((line) => JSON.parse(line).id)

describe('--shard I/N and merge (spawned, echo engine)', () => {
  let dir: string
  let input: string
  let single: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-shard-'))
    input = join(dir, 'notes.ndjson')
    // A blank line and a record without an id: both keep the line numbering every shard agrees on.
    const lines = Array.from({length: 11}, (_, i) => JSON.stringify({id: i, text: `Note ${i} a b c`}))
    lines.splice(4, 0, '', JSON.stringify({text: 'no id here'}))
    await writeFile(input, lines.join('\n') + '\n')
    const run = await runCli([...echo, '-i', input])
    expect(run.code, run.stderr).toBe(0)
    single = run.stdout
  })

  it('deals the lines round-robin: each shard holds line index % N == I, and the shards together hold every record once', async () => {
    const shards = await Promise.all([0, 1, 2].map((index) => runCli([...echo, '-i', input, '--shard', `${index}/3`])))
    for (const shard of shards) expect(shard.code, shard.stderr).toBe(0)
    // Lines 1, 4, 7, 10, 13 (line 5 is blank and line 6 has no id, so ids 4… sit on lines 7…).
    expect(ids(shards[0].stdout)).toEqual([0, 3, 4, 7, 10])
    const all = shards.flatMap((shard) => shard.stdout.split('\n').filter(Boolean))
    expect(all.sort()).toEqual(single.split('\n').filter(Boolean).sort())
  })

  it('merges shard files in any order to exactly the single run, and completes a torn shard with --resume, without duplicates', async () => {
    const out = (index: number) => join(dir, `shard-${index}.ndjson`)
    const runShard = (index: number) => runCli([...echo, '-i', input, '--shard', `${index}/3`, '-o', out(index), '--resume', out(index)])
    for (const index of [0, 1, 2]) expect((await runShard(index)).code).toBe(0)
    // Shard 1 cut mid-line, as a cancelled task leaves it; shard 2 run again though complete.
    const whole = await readFile(out(1), 'utf8')
    await writeFile(out(1), whole.slice(0, whole.indexOf('\n') + 10))
    expect((await runShard(1)).code).toBe(0)
    expect((await runShard(2)).code).toBe(0)
    expect(await readFile(out(1), 'utf8')).toBe(whole)
    const merged = await runCli(['merge', '-i', input, out(2), out(0), out(1)])
    expect(merged.code, merged.stderr).toBe(0)
    expect(merged.stdout).toBe(single)
  })

  // With the shard files of the test above: shard 2 left out, shard 1 given twice.
  it('fails with exit 8, naming the missing and duplicated ids, and writes nothing', async () => {
    const out = (index: number) => join(dir, `shard-${index}.ndjson`)
    const target = join(dir, 'merged.ndjson')
    const failed = await runCli(['merge', '-i', input, out(0), out(1), out(1), '-o', target])
    expect(failed.code).toBe(8)
    expect(failed.stderr).toContain('E_MERGE_IDS')
    for (const id of ids(await readFile(out(2), 'utf8'))) expect(failed.stderr).toContain(typeof id === 'number' ? String(id) : 'line')
    await expect(access(target)).rejects.toThrow()
  })

  it('refuses a shard outside 0 ≤ I < N as a usage error (exit 2)', async () => {
    for (const shard of ['3/3', '1/0', 'x']) expect((await runCli([...echo, '-i', input, '--shard', shard])).code, shard).toBe(2)
  })
})
