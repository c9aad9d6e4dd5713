import {randomUUID} from 'node:crypto'
import {open, readFile, stat, unlink, utimes} from 'node:fs/promises'
import {hostname} from 'node:os'
import {setTimeout as sleep} from 'node:timers/promises'

import {DownloadError, InterruptedError} from '../errors/index.js'
import {fsError} from './fs-errors.js'

/** Who holds a lock, as written in the lock file. */
export interface LockHolder {
  pid: number
  hostname: string
  startedAt: string
  /** Random id, so that a process only ever deletes its own lock. */
  nonce: string
}

/** Options of {@link acquireLock}. */
export interface LockOptions {
  /** Stops waiting (throws InterruptedError). */
  signal?: AbortSignal
  /** Called once when the lock is busy and this process starts waiting. */
  onWait?: (holder: LockHolder | undefined) => void
  /** Give up after waiting this long (DownloadError E_LOCKED); default: wait as long as the holder lives. */
  timeoutMs?: number
  /** A lock whose heartbeat is older than this is abandoned; default 120 000 ms. */
  staleMs?: number
  /** How often the holder refreshes the lock file's mtime; default 5 000 ms. */
  heartbeatMs?: number
  /** How often a waiter looks again; default 200 ms. */
  pollMs?: number
}

/** A held lock. */
export interface Lock {
  release(): Promise<void>
}

/**
 * Takes an exclusive lock by creating `path` with O_EXCL. A busy lock is waited for; a lock left by a dead
 * process (same host, pid gone) or with a heartbeat older than `staleMs` (another host, or a reused pid) is
 * taken over. Two waiters that judge the same dead lock at the same instant could both take it over; that
 * needs a crash and a photo finish, and the sha256 check still refuses a mixed file.
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<Lock> {
  const staleMs = options.staleMs ?? 120_000
  const started = Date.now()
  let waiting = false
  for (;;) {
    if (options.signal?.aborted) throw new InterruptedError()
    const holder: LockHolder = {pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), nonce: randomUUID()}
    try {
      const handle = await open(path, 'wx')
      try {
        await handle.writeFile(JSON.stringify(holder))
      } finally {
        await handle.close()
      }

      return holdLock(path, holder, options.heartbeatMs ?? 5000)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(error, path)
    }

    const current = await readHolder(path)
    if (current === 'gone') continue
    if (current.stale(staleMs)) {
      await unlink(path).catch(() => {}) // someone else may have removed it first; either way, try again
      continue
    }

    if (options.timeoutMs !== undefined && Date.now() - started > options.timeoutMs) {
      const who = current.holder ? `process ${current.holder.pid} on ${current.holder.hostname}` : 'another process'
      throw new DownloadError(`${path} is locked by ${who}`, {hint: `Wait for the other jsl-med to finish; if none is running, delete ${path}.`}, 'E_LOCKED')
    }

    if (!waiting) {
      waiting = true
      options.onWait?.(current.holder)
    }

    try {
      await sleep(options.pollMs ?? 200, undefined, {signal: options.signal})
    } catch {
      throw new InterruptedError()
    }
  }
}

function holdLock(path: string, holder: LockHolder, heartbeatMs: number): Lock {
  const timer = setInterval(() => {
    const now = new Date()
    utimes(path, now, now).catch(() => {}) // a missed heartbeat only makes the lock look older
  }, heartbeatMs)
  timer.unref()
  let released = false
  return {
    async release() {
      if (released) return
      released = true
      clearInterval(timer)
      const current = await readHolder(path)
      if (current !== 'gone' && current.holder?.nonce === holder.nonce) await unlink(path).catch(() => {}) // already gone is fine
    },
  }
}

async function readHolder(path: string): Promise<'gone' | {holder?: LockHolder; stale(staleMs: number): boolean}> {
  let text: string
  let mtimeMs: number
  try {
    ;[text, {mtimeMs}] = await Promise.all([readFile(path, 'utf8'), stat(path)])
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone'
    throw fsError(error, path)
  }

  let holder: LockHolder | undefined
  try {
    holder = JSON.parse(text) as LockHolder
  } catch {
    holder = undefined // written but not yet filled in, or a crash in between: judged by age below
  }

  const age = Date.now() - mtimeMs
  return {
    holder,
    stale(staleMs) {
      if (!holder || typeof holder.pid !== 'number') return age > 10_000
      if (holder.hostname === hostname() && !isAlive(holder.pid)) return true
      return age > staleMs
    },
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
