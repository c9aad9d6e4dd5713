import {availableParallelism} from 'node:os'

import {detectPhysicalCores} from './cores.js'
import {readCpuQuotaCores} from './quota.js'

/** What {@link chooseThreads} decides from. */
export interface ThreadInputs {
  /** Physical cores of the machine. */
  physicalCores: number
  /** Logical CPUs this process may run on (its affinity: `os.availableParallelism()`). */
  allowedCpus: number
  /** The cgroup CPU quota in cores (`cpu.max`), when there is one. */
  quotaCores?: number
  /**
   * The CPUs a batch scheduler allotted this job, when it says (Slurm's `SLURM_CPUS_PER_TASK`, see
   * {@link readSchedulerCpus}): without a cgroup or affinity mask (Slurm's `task/none`), nothing else stops a job
   * array's tasks from each taking every core.
   */
  schedulerCpus?: number
  /** Cores free now (the cores minus what other processes keep busy), when measured. */
  freeCores?: number
  /**
   * Whether llama.cpp was built with OpenMP. Without it (node-llama-cpp's prebuilt binaries) ggml's barrier spins
   * without yielding, so a thread more than the free cores is preempted mid-barrier and stalls every other one.
   */
  openmp: boolean
}

/** Which limit decided the thread count. */
export type ThreadLimit = 'affinity' | 'free' | 'physical' | 'quota' | 'scheduler'

/** The thread count to use, the limit that set it, and the inputs, for `--verbose` and bench records. */
export interface ThreadChoice {
  threads: number
  limit: ThreadLimit
  inputs: ThreadInputs
}

// Without OpenMP a core counts as free only when almost all of it is: a thread sharing a core with another process
// makes the spinning barrier collapse. OpenMP's barrier sleeps after spinning, so half a free core is worth a thread.
const FREE_CORE_ROUNDING = {openmp: 0.5, spinning: 0.2}

/**
 * The llama.cpp thread count for this machine now: never more than the physical cores, the CPUs this process may
 * use, the cgroup quota or the scheduler's allocation, and never more than the cores that are free now, at least 1. Pure: the caller measures.
 */
export function chooseThreads(inputs: ThreadInputs): ThreadChoice {
  const limits: Array<[ThreadLimit, number]> = [
    ['physical', inputs.physicalCores],
    ['affinity', inputs.allowedCpus],
  ]
  if (inputs.quotaCores !== undefined) limits.push(['quota', Math.floor(inputs.quotaCores + 0.01)])
  if (inputs.schedulerCpus !== undefined) limits.push(['scheduler', inputs.schedulerCpus])
  if (inputs.freeCores !== undefined) {
    limits.push(['free', Math.floor(inputs.freeCores + (inputs.openmp ? FREE_CORE_ROUNDING.openmp : FREE_CORE_ROUNDING.spinning))])
  }

  let [limit, threads] = limits[0]
  for (const [name, value] of limits.slice(1)) if (value < threads) [limit, threads] = [name, value]
  return {threads: Math.max(1, threads), limit, inputs}
}

/** The choice in a few words, e.g. `1 thread (1.0 of 2 cores free; prebuilt llama.cpp without OpenMP)`. */
export function describeThreadChoice(choice: ThreadChoice): string {
  const {inputs} = choice
  const facts = [
    inputs.freeCores === undefined ? `${inputs.physicalCores} physical cores` : `${inputs.freeCores.toFixed(1)} of ${inputs.physicalCores} cores free`,
  ]
  if (inputs.allowedCpus < inputs.physicalCores) facts.push(`affinity ${inputs.allowedCpus} CPUs`)
  if (inputs.quotaCores !== undefined) facts.push(`cgroup quota ${inputs.quotaCores.toFixed(1)} cores`)
  if (inputs.schedulerCpus !== undefined) facts.push(`SLURM_CPUS_PER_TASK ${inputs.schedulerCpus}`)
  facts.push(inputs.openmp ? 'llama.cpp with OpenMP' : 'llama.cpp without OpenMP')
  return `${choice.threads} ${choice.threads === 1 ? 'thread' : 'threads'} (set by ${choice.limit}: ${facts.join(', ')})`
}

/** The limits on threads that do not change during a run: {@link ThreadInputs} without the load and the binary. */
export type CpuLimits = Omit<ThreadInputs, 'freeCores' | 'openmp'>

/**
 * The CPUs a batch scheduler allotted this job: Slurm's `SLURM_CPUS_PER_TASK` (set by `sbatch -c N` /
 * `--cpus-per-task`), when it is a whole number ≥ 1; `undefined` otherwise (not under Slurm, or a value that is not
 * a count, which is then ignored rather than trusted).
 */
export function readSchedulerCpus(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = env.SLURM_CPUS_PER_TASK?.trim()
  if (value === undefined || !/^\d+$/.test(value)) return undefined
  const cpus = Number(value)
  return cpus >= 1 ? cpus : undefined
}

/**
 * Reads the physical cores, the CPUs this process may use (affinity), the cgroup quota and the scheduler's
 * allocation ({@link readSchedulerCpus} of `env`, default `process.env`).
 */
export async function readCpuLimits(env: NodeJS.ProcessEnv = process.env): Promise<CpuLimits> {
  const [physicalCores, quotaCores] = await Promise.all([detectPhysicalCores(), readCpuQuotaCores()])
  const schedulerCpus = readSchedulerCpus(env)
  return {physicalCores, allowedCpus: availableParallelism(), quotaCores, ...(schedulerCpus === undefined ? {} : {schedulerCpus})}
}

/** The most threads a run may ever use: the physical cores, the allowed CPUs, the quota and the scheduler's allocation (whatever the load). */
export function threadCeiling(limits: CpuLimits): number {
  return chooseThreads({...limits, openmp: true}).threads
}
