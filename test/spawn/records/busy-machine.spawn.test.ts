import {spawn, type ChildProcess} from 'node:child_process'
import {once} from 'node:events'

import {afterEach, describe, expect, inject, it} from 'vitest'

import {detectPhysicalCores} from '../../../src/lib/cpu/index.js'
import {runCli} from '../../helpers/spawn-cli.js'

const model = inject('tinyModelPath')
let busy: ChildProcess[] = []

afterEach(async () => {
  for (const child of busy) child.kill('SIGKILL')
  await Promise.all(busy.map((child) => (child.exitCode === null && child.signalCode === null ? once(child, 'exit') : undefined)))
  busy = []
})

describe('threads on a busy machine (spawned, real llama.cpp)', () => {
  it('chooses 1 thread when every core but one is kept busy by another process, and says so with --verbose', async () => {
    const cores = await detectPhysicalCores()
    busy = Array.from({length: Math.max(0, cores - 1)}, () => spawn(process.execPath, ['-e', 'for(;;){}'], {stdio: 'ignore'}))
    await new Promise((resolve) => setTimeout(resolve, 500)) // let them spin up before the command measures
    const {code, stdout, stderr} = await runCli(['summarize', '--model', model, '--gpu', 'off', '--max-tokens', '4', '--verbose'], '{"id":1,"text":"Pt is a 67yo M with CHF."}\n')
    expect(code).toBe(0)
    expect(stdout.split('\n').filter(Boolean)).toHaveLength(1)
    expect(stderr).toMatch(/threads: 1 thread \(set by (free|physical): /)
    expect(stderr).toMatch(/"threads":1[,}]/)
  })

  it('takes --threads as given, whatever the load', async () => {
    const {code, stderr} = await runCli(['summarize', '--model', model, '--gpu', 'off', '--max-tokens', '4', '--threads', '2', '--verbose'], '{"id":1,"text":"x"}\n')
    expect(code).toBe(0)
    expect(stderr).toContain('threads: 2 (set by --threads)')
  })
})
