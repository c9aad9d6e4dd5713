import {readFile} from 'node:fs/promises'

/**
 * The CPU quota of this process's cgroup, in cores (`cpu.max` 150000/100000 → 1.5), or undefined when there is none
 * (no limit, not Linux, or unreadable). Reads cgroup v2 `cpu.max`, else v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`,
 * at the process's own cgroup path and then at the root (a container sees its own cgroup as the root).
 */
export async function readCpuQuotaCores(root = '/sys/fs/cgroup'): Promise<number | undefined> {
  const paths = await ownCgroupPaths()
  for (const path of [...paths.v2.map((p) => `${root}${p}`), root]) {
    const max = await readText(`${path}/cpu.max`)
    if (max !== undefined) return parseCpuMax(max)
  }

  for (const base of [`${root}/cpu`, `${root}/cpu,cpuacct`]) {
    for (const path of [...paths.v1.map((p) => `${base}${p}`), base]) {
      const quota = await readText(`${path}/cpu.cfs_quota_us`)
      const period = await readText(`${path}/cpu.cfs_period_us`)
      if (quota !== undefined && period !== undefined) return quotaCores(Number(quota), Number(period))
    }
  }

  return undefined
}

/** `cpu.max` (`"max 100000"` or `"150000 100000"`) in cores; undefined for no limit. */
export function parseCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/)
  return quota === 'max' ? undefined : quotaCores(Number(quota), Number(period ?? 100_000))
}

function quotaCores(quota: number, period: number): number | undefined {
  return Number.isFinite(quota) && quota > 0 && Number.isFinite(period) && period > 0 ? quota / period : undefined
}

async function ownCgroupPaths(): Promise<{v1: string[]; v2: string[]}> {
  const text = (await readText('/proc/self/cgroup')) ?? ''
  const v1: string[] = []
  const v2: string[] = []
  for (const line of text.split('\n')) {
    const [id, controllers, path] = line.split(':')
    if (path === undefined || path === '/') continue
    if (id === '0' && controllers === '') v2.push(path)
    else if (controllers.split(',').includes('cpu')) v1.push(path)
  }

  return {v1, v2}
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch {
    return undefined // absent on this kernel or cgroup version: the caller tries the next place
  }
}
