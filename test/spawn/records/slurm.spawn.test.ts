import {existsSync} from 'node:fs'
import {mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {haveCommands, startLocalSlurm, type LocalSlurm} from '../../helpers/slurm.js'
import {root, runCli} from '../../helpers/spawn-cli.js'

// The README's Slurm recipe, run on a real single-node Slurm (munged, slurmctld and slurmd on localhost, started here
// as root from a generated slurm.conf): contrib/slurm/jsl-med-array.sbatch over 4 shards, then jsl-med merge.
const model = inject('tinyModelPath')
const missing = haveCommands(['sbatch', 'scancel', 'squeue', 'sinfo', 'slurmctld', 'slurmd', 'munged', 'mungekey'])
const isRoot = process.getuid?.() === 0
const skip = missing.length > 0 || !isRoot
if (skip) {
  const why = missing.length > 0 ? `${missing.join(', ')} not installed (apt-get install slurm-wlm slurm-client munge)` : 'the daemons need root'
  process.stderr.write(`Slurm test skipped: ${why}\n`)
}

const template = join(root, 'contrib', 'slurm', 'jsl-med-array.sbatch')
const SHARDS = 4
const records = Array.from({length: 40}, (_, i) => JSON.stringify({id: `n${i}`, text: `Pt ${i}: 67yo M with CHF, EF ${20 + i}%.`})).join('\n') + '\n'
const ids = (ndjson: string): unknown[] => ndjson.split('\n').filter(Boolean).map((line) => JSON.parse(line).id)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.skipIf(skip)('Slurm job array (contrib/slurm/jsl-med-array.sbatch, then jsl-med merge)', () => {
  let dir: string
  let slurm: LocalSlurm
  let input: string
  const started = Date.now()

  beforeAll(async () => {
    // munged and slurmstepd put Unix sockets in here, whose paths may not pass 108 bytes: a short base, not TMPDIR.
    dir = await mkdtemp(join(existsSync('/tmp') ? '/tmp' : tmpdir(), 'jsl-med-slurm-'))
    input = join(dir, 'notes.ndjson')
    await writeFile(input, records)
    slurm = await startLocalSlurm(join(dir, 'cluster'), 2)
  })

  afterAll(async () => {
    await slurm?.stop()
    process.stderr.write(`Slurm test: ${((Date.now() - started) / 1000).toFixed(1)} s with the cluster's start and stop\n`)
    await rm(dir, {recursive: true, force: true})
  })

  /** sbatch of the template: the array, one CPU per task, the jsl-med command after the template's arguments. */
  const sbatch = (array: string, outDir: string, flags: string[], wait: boolean) =>
    slurm.client('sbatch', [
      ...(wait ? ['--wait'] : []),
      '--parsable',
      `--array=${array}`,
      '--cpus-per-task=1',
      `--output=${join(dir, 'slurm-%A_%a.log')}`,
      `--chdir=${dir}`,
      template, String(SHARDS), input, outDir, 'summarize', '-m', model, '-j', '1', ...flags,
    ], {JSL_MED: `${process.execPath} ${join(root, 'bin', 'run.js')}`, NODE_ENV: 'production'})

  const merge = (outDir: string) => readdir(outDir).then((files) => runCli(['merge', '-i', input, ...files.sort().map((file) => join(outDir, file))]))

  it('runs a 4-task array over 40 records and merges to exactly the single-process output', async () => {
    const single = await runCli(['summarize', '-m', model, '--threads', '1', '-j', '1', '--max-tokens', '12', '--quiet', '-i', input])
    expect(single.code, single.stderr).toBe(0)
    const out = join(dir, 'out')
    const t0 = Date.now()
    const job = (await sbatch(`0-${SHARDS - 1}%2`, out, ['--max-tokens', '12'], true)).trim()
    process.stderr.write(`sbatch --wait --array=0-${SHARDS - 1}%2 (job ${job}): ${((Date.now() - t0) / 1000).toFixed(1)} s\n`)
    const shards = (await readdir(out)).sort()
    expect(shards).toHaveLength(SHARDS)
    for (const file of shards) expect(ids(await readFile(join(out, file), 'utf8'))).toHaveLength(40 / SHARDS)
    const merged = await merge(out)
    expect(merged.code, merged.stderr).toBe(0)
    expect(ids(merged.stdout)).toEqual(ids(single.stdout))
    expect(merged.stdout).toBe(single.stdout) // temperature 0: the same text, record for record
  })

  it('completes a cancelled array task when it is submitted again, with no id missing or duplicated', async () => {
    const out = join(dir, 'out-cancel')
    // Longer generations, so that shard 2 is still running when it is cancelled.
    const flags = ['--max-tokens', '96']
    const job = (await sbatch(`0-${SHARDS - 1}`, out, flags, false)).trim()
    const shard2 = join(out, 'shard-0002.ndjson')
    const lines = async () => (await readFile(shard2, 'utf8').catch(() => '')).split('\n').filter(Boolean).length
    const t0 = Date.now()
    while ((await lines()) < 2) {
      if (Date.now() - t0 > 60_000) throw new Error('shard 2 wrote nothing in 60 s')
      await sleep(50)
    }

    await slurm.client('scancel', [`${job}_2`])
    while ((await slurm.client('squeue', ['-h', '-j', job]).catch(() => '')).trim() !== '') await sleep(250)
    const cut = await lines()
    expect(cut, 'shard 2 finished before it was cancelled').toBeLessThan(40 / SHARDS)
    const before = await merge(out)
    expect(before.code).toBe(8) // the merge names what shard 2 lacks
    expect(before.stderr).toContain('E_MERGE_IDS')

    await sbatch('2', out, flags, true)
    const merged = await merge(out)
    expect(merged.code, merged.stderr).toBe(0)
    expect(ids(merged.stdout)).toEqual(ids(records))
    process.stderr.write(`scancel of task 2 after ${cut} of its ${40 / SHARDS} records; resubmitted with --array=2; merged ${ids(merged.stdout).length} records\n`)
  })
})
