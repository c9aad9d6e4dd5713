import {chmod, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {haveCommands} from '../../helpers/slurm.js'
import {root, runCli, runProcess} from '../../helpers/spawn-cli.js'
import {startLocalSshd, type LocalSshd} from '../../helpers/sshd.js'

// README's multi-host GNU parallel recipe, with the hosts reached over ssh: an sshd started here on localhost (a
// generated host key and user key), `--shard {}/4` per job, `--joblog` and `--retries`, then jsl-med merge.
const model = inject('tinyModelPath')
const missing = haveCommands(['parallel', '/usr/sbin/sshd', 'ssh', 'ssh-keygen'])
const skip = missing.length > 0 || process.getuid?.() !== 0
if (skip) {
  const why = missing.length > 0 ? `${missing.join(', ')} not installed (apt-get install parallel openssh-server)` : 'sshd needs root'
  process.stderr.write(`GNU parallel --sshlogin test skipped: ${why}\n`)
}

const SHARDS = 4
const records = Array.from({length: 40}, (_, i) => JSON.stringify({id: i, text: `Pt ${i}: 67yo F with COPD, FEV1 ${30 + i}%.`})).join('\n') + '\n'
const ids = (ndjson: string): unknown[] => ndjson.split('\n').filter(Boolean).map((line) => JSON.parse(line).id)

describe.skipIf(skip)('GNU parallel across hosts (--sshlogin, --joblog, --retries), then jsl-med merge', () => {
  let dir: string
  let sshd: LocalSshd

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parallel-ssh-'))
    sshd = await startLocalSshd(join(dir, 'ssh'))
  })

  afterAll(async () => {
    await sshd?.stop()
    await rm(dir, {recursive: true, force: true})
  })

  it('runs 4 shards over ssh, retries the one killed mid-run, and merges to exactly the single-process output', async () => {
    const input = join(dir, 'notes.ndjson')
    await writeFile(input, records)
    // jsl-med as the remote hosts run it. The first attempt at shard 2 is killed once its output has a record, as a
    // host that goes down would leave it; --retries runs it again, and --resume completes it.
    const jslMed = join(dir, 'jsl-med')
    await writeFile(jslMed, `#!/bin/sh
export NODE_ENV=production XDG_CACHE_HOME=${join(dir, 'cache')} XDG_DATA_HOME=${join(dir, 'data')} XDG_CONFIG_HOME=${join(dir, 'config')}
case " $* " in
  *" --shard 2/${SHARDS} "*) if mkdir ${join(dir, 'killed-once')} 2>/dev/null; then
    out=; prev=; for arg in "$@"; do [ "$prev" = -o ] && out=$arg; prev=$arg; done
    ${process.execPath} ${join(root, 'bin', 'run.js')} "$@" & pid=$!
    while [ ! -s "$out" ]; do sleep 0.05; done
    kill -9 $pid; wc -c < "$out" > ${join(dir, 'killed-once', 'bytes')}; exit 1
  fi ;;
esac
exec ${process.execPath} ${join(root, 'bin', 'run.js')} "$@"
`)
    await chmod(jslMed, 0o755)
    const out = join(dir, 'out')
    const flags = `summarize -m ${model} --threads 1 -j 1 --max-tokens 24 --quiet -i ${input}`
    const joblog = join(dir, 'shards.joblog')
    const recipe = `mkdir -p ${out} && parallel --ssh '${sshd.ssh}' --sshlogin 2/${sshd.login} --joblog ${joblog} --retries 3 ` +
      `${jslMed} ${flags} --shard {}/${SHARDS} -o ${out}/shard-{}.ndjson --resume ${out}/shard-{}.ndjson ::: $(seq 0 ${SHARDS - 1})`
    const sharded = await runProcess('bash', ['-c', recipe])
    expect(sharded.code, sharded.stderr).toBe(0)

    // Shard 2's first attempt was killed after writing part of its output; the joblog (which keeps each job's last
    // attempt) says every shard ended with exit 0.
    expect(Number(await readFile(join(dir, 'killed-once', 'bytes'), 'utf8'))).toBeGreaterThan(0)
    const rows = (await readFile(joblog, 'utf8')).trim().split('\n').slice(1).map((row) => row.split('\t'))
    expect(rows).toHaveLength(SHARDS)
    for (const row of rows) expect(Number(row[6]), row[8]).toBe(0)

    const shards = (await readdir(out)).sort().map((file) => join(out, file))
    expect(shards).toHaveLength(SHARDS)
    const merged = await runCli(['merge', '-i', input, ...shards])
    const single = await runCli(flags.split(' '))
    expect(merged.code, merged.stderr).toBe(0)
    expect(single.code, single.stderr).toBe(0)
    expect(ids(merged.stdout)).toEqual(ids(records))
    expect(merged.stdout).toBe(single.stdout)
  })
})
