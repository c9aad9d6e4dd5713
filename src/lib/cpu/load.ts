import {readFile} from 'node:fs/promises'
import {setTimeout as sleep} from 'node:timers/promises'

/** CPU time counters at one moment: the machine's (from /proc/stat) and this process's own. */
export interface CpuSnapshot {
  /** Busy time of all CPUs together (user, nice, system, irq, softirq, steal), in ms. */
  busyMs: number
  /** All time of all CPUs together, busy or idle, in ms. */
  totalMs: number
  /** CPUs counted in /proc/stat. */
  cpus: number
  /**
   * This process's CPU time (every thread, llama.cpp's included) and that of the children it has waited for, in ms:
   * node-llama-cpp tests its binary in a child process while a model loads (0.7 CPU-seconds of a 1.8 s load on a
   * slow 2-core machine), which is not another program's load.
   */
  ownMs: number
}

// /proc/stat counts in USER_HZ ticks, 100 per second on every Linux the kernel ABI allows.
const MS_PER_TICK = 10

/** Reads the CPU counters now; undefined where /proc/stat does not exist (not Linux). */
export async function takeCpuSnapshot(): Promise<CpuSnapshot | undefined> {
  let text: string
  try {
    text = await readFile('/proc/stat', 'utf8')
  } catch {
    return undefined // not Linux: the caller then knows nothing about the load
  }

  const own = process.cpuUsage()
  const children = await readFile('/proc/self/stat', 'utf8').then(parseChildrenCpuMs, () => 0)
  return parseProcStat(text, (own.user + own.system) / 1000 + children)
}

/** The CPU time of the children this process has waited for (cutime + cstime of a /proc/PID/stat text), in ms. */
export function parseChildrenCpuMs(text: string): number {
  // Fields after the command name, which is in parentheses and may itself hold spaces or parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).trim().split(/\s+/)
  const [cutime, cstime] = [Number(fields[13]), Number(fields[14])]
  return Number.isFinite(cutime) && Number.isFinite(cstime) ? (cutime + cstime) * MS_PER_TICK : 0
}

/** The counters of a /proc/stat text (exported for tests). */
export function parseProcStat(text: string, ownMs: number): CpuSnapshot | undefined {
  const lines = text.split('\n')
  const total = lines.find((line) => line.startsWith('cpu '))
  if (!total) return undefined
  const [user, nice, system, idle, iowait, irq, softirq, steal] = total.trim().split(/\s+/).slice(1).map(Number)
  const busy = user + nice + system + irq + softirq + (steal || 0)
  const cpus = lines.filter((line) => /^cpu\d+ /.test(line)).length || 1
  return {busyMs: busy * MS_PER_TICK, totalMs: (busy + idle + (iowait || 0)) * MS_PER_TICK, cpus, ownMs}
}

/**
 * How many cores other processes kept busy between two snapshots (this process's own time is left out, so a run can
 * measure the load around it while it computes). 0 when nothing else ran.
 */
export function othersBusyCores(before: CpuSnapshot, after: CpuSnapshot): number {
  const elapsedPerCpuMs = (after.totalMs - before.totalMs) / after.cpus
  if (elapsedPerCpuMs <= 0) return 0
  const othersMs = after.busyMs - before.busyMs - (after.ownMs - before.ownMs)
  return Math.max(0, othersMs / elapsedPerCpuMs)
}

/**
 * Measures how many cores are free now: `cores` minus what other processes keep busy over a short window.
 * Undefined where the load cannot be read. The window is short because a command's start waits for it.
 */
export async function measureFreeCores(cores: number, windowMs = 200): Promise<number | undefined> {
  const before = await takeCpuSnapshot()
  if (!before) return undefined
  await sleep(windowMs)
  const after = await takeCpuSnapshot()
  return after ? Math.max(0, cores - othersBusyCores(before, after)) : undefined
}
