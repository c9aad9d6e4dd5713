import {execFileSync} from 'node:child_process'

import {describe, expect, inject, it} from 'vitest'

import {root, runProcess} from '../../helpers/spawn-cli.js'

const model = inject('tinyModelPath')
const hasParallel = (() => {
  try {
    return execFileSync('parallel', ['--version'], {encoding: 'utf8'}).includes('GNU parallel')
  } catch {
    return false
  }
})()

if (!hasParallel) process.stderr.write('scale-out test skipped: GNU parallel is not installed (apt-get install parallel)\n')

describe.skipIf(!hasParallel)('scale-out with GNU parallel (the README recipe)', () => {
  it('shards 40 records over 4 workers and merges to exactly the single-run output', async () => {
    const input = Array.from({length: 40}, (_, i) => JSON.stringify({id: i, text: `Pt ${i}: 67yo M with CHF, EF ${20 + i}%.`})).join('\n') + '\n'
    const jsl = `node ${root}bin/run.js summarize -m ${model} --threads 1 -j 1 --max-tokens 12 --quiet`
    const single = await runProcess('bash', ['-c', jsl], input)
    const sharded = await runProcess('bash', ['-c', `parallel --pipe --keep-order -N 10 -j 4 ${jsl}`], input)
    expect(single.code, single.stderr).toBe(0)
    expect(sharded.code, sharded.stderr).toBe(0)
    expect(sharded.stdout.split('\n').filter(Boolean)).toHaveLength(40)
    expect(sharded.stdout).toBe(single.stdout)
  })
})
