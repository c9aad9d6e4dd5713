import {spawn, type ChildProcess} from 'node:child_process'
import {setTimeout as sleep} from 'node:timers/promises'

// Spins forever, and exits once its parent is gone (re-parented, so ppid changes): a busy core never outlives the
// benchmark that started it, even when that one is killed with SIGKILL. ppid is read every ~16M iterations (~10 ms).
const BUSY_LOOP = 'const p=process.ppid;for(let i=0;;i++)if((i&0xffffff)===0&&process.ppid!==p)process.exit(0)'

/** Busy child processes started by {@link startBusyCores}. */
export interface BusyCores {
  /** How many were started. */
  count: number
  /** Kills them and waits until they have exited; idempotent. */
  stop(): Promise<void>
}

/**
 * A benchmarking aid: starts `count` child processes that each keep one core busy (a plain JavaScript loop), so a
 * measurement can be repeated under a known load. They are killed by `stop()`, when this process exits, and on
 * their own when it dies. Resolves once they have had time to start spinning.
 */
export async function startBusyCores(count: number, settleMs = 300): Promise<BusyCores> {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`busy cores must be a whole number ≥ 0, got ${count}`)
  const children: ChildProcess[] = Array.from({length: count}, () => spawn(process.execPath, ['-e', BUSY_LOOP], {stdio: 'ignore'}))
  const killAll = (): void => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }

  process.once('exit', killAll)
  let stopped: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      process.removeListener('exit', killAll)
      const exited = children.map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined))
      killAll()
      await Promise.all(exited)
    })()
    return stopped
  }

  if (count > 0) await sleep(settleMs)
  return {count, stop}
}
