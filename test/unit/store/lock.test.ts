import {spawnSync} from 'node:child_process'
import {mkdtemp, readFile, rm, stat, utimes, writeFile} from 'node:fs/promises'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {acquireLock} from '../../../src/lib/store/lock.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jsl-med-lock-'))
})
afterAll(() => rm(dir, {recursive: true, force: true}))

/** The pid of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!
}

describe('acquireLock', () => {
  it('is exclusive: a second taker waits until the first releases', async () => {
    const path = join(dir, 'a.lock')
    const first = await acquireLock(path)
    const holder = JSON.parse(await readFile(path, 'utf8'))
    expect(holder).toMatchObject({pid: process.pid, hostname: hostname()})
    let waited = false
    const order: string[] = []
    const second = acquireLock(path, {pollMs: 10, onWait: () => (waited = true)}).then((lock) => {
      order.push('second')
      return lock
    })
    await new Promise((resolve) => setTimeout(resolve, 60))
    order.push('release first')
    await first.release()
    await (await second).release()
    expect(waited).toBe(true)
    expect(order).toEqual(['release first', 'second'])
    await expect(stat(path)).rejects.toThrow()
  })

  it('takes over a lock whose process is dead, or whose heartbeat is stale', async () => {
    const path = join(dir, 'b.lock')
    await writeFile(path, JSON.stringify({pid: deadPid(), hostname: hostname(), startedAt: '', nonce: 'x'}))
    await (await acquireLock(path, {timeoutMs: 1000})).release()

    await writeFile(path, JSON.stringify({pid: 1, hostname: 'another-host', startedAt: '', nonce: 'y'}))
    const old = new Date(Date.now() - 10 * 60_000)
    await utimes(path, old, old)
    await (await acquireLock(path, {timeoutMs: 1000})).release()
  })

  it('fails clearly after timeoutMs when a live process holds it, and stops waiting on abort', async () => {
    const path = join(dir, 'c.lock')
    const held = await acquireLock(path)
    await expect(acquireLock(path, {timeoutMs: 50, pollMs: 10})).rejects.toMatchObject({code: 'E_LOCKED', exitCode: 5, hint: expect.stringContaining(path)})
    const controller = new AbortController()
    const waiting = acquireLock(path, {signal: controller.signal, pollMs: 10})
    controller.abort()
    await expect(waiting).rejects.toMatchObject({exitCode: 130})
    await held.release()
  })

  it('never deletes a lock it no longer owns', async () => {
    const path = join(dir, 'd.lock')
    const mine = await acquireLock(path)
    await writeFile(path, JSON.stringify({pid: process.pid, hostname: hostname(), startedAt: '', nonce: 'someone-else'}))
    await mine.release()
    expect(JSON.parse(await readFile(path, 'utf8')).nonce).toBe('someone-else')
  })
})
