import {describe, expect, it} from 'vitest'

import {chooseThreads, describeThreadChoice, othersBusyCores, parseChildrenCpuMs, parseCpuMax, parseProcStat, readSchedulerCpus, type ThreadInputs} from '../../../src/lib/cpu/index.js'

const idle2: ThreadInputs = {physicalCores: 2, allowedCpus: 2, freeCores: 2, openmp: false}

describe('chooseThreads', () => {
  it('uses every physical core of an idle machine', () => {
    expect(chooseThreads(idle2)).toMatchObject({threads: 2, limit: 'physical'})
    expect(chooseThreads({physicalCores: 8, allowedCpus: 16, freeCores: 15.7, openmp: true})).toMatchObject({threads: 8, limit: 'physical'})
  })

  it('never uses more threads than free cores while the barrier spins (prebuilt, no OpenMP)', () => {
    expect(chooseThreads({...idle2, freeCores: 1.0})).toMatchObject({threads: 1, limit: 'free'})
    expect(chooseThreads({...idle2, freeCores: 1.7})).toMatchObject({threads: 1, limit: 'free'})
    expect(chooseThreads({...idle2, freeCores: 1.85})).toMatchObject({threads: 2})
    expect(chooseThreads({...idle2, freeCores: 0})).toMatchObject({threads: 1, limit: 'free'})
  })

  it('counts half a free core as a thread with OpenMP, whose barrier sleeps', () => {
    expect(chooseThreads({...idle2, openmp: true, freeCores: 1.6})).toMatchObject({threads: 2})
    expect(chooseThreads({...idle2, openmp: true, freeCores: 1.2})).toMatchObject({threads: 1, limit: 'free'})
  })

  it('keeps to the cgroup quota and the affinity mask', () => {
    expect(chooseThreads({physicalCores: 16, allowedCpus: 32, quotaCores: 2, freeCores: 30, openmp: true})).toMatchObject({threads: 2, limit: 'quota'})
    expect(chooseThreads({physicalCores: 16, allowedCpus: 4, freeCores: 30, openmp: true})).toMatchObject({threads: 4, limit: 'affinity'})
    expect(chooseThreads({physicalCores: 16, allowedCpus: 32, quotaCores: 0.5, openmp: true})).toMatchObject({threads: 1, limit: 'quota'})
  })

  it("keeps to the scheduler's allocation (SLURM_CPUS_PER_TASK) as a ceiling, not a floor", () => {
    expect(chooseThreads({physicalCores: 16, allowedCpus: 32, schedulerCpus: 4, freeCores: 16, openmp: true})).toMatchObject({threads: 4, limit: 'scheduler'})
    expect(chooseThreads({physicalCores: 16, allowedCpus: 32, schedulerCpus: 4, freeCores: 2, openmp: true})).toMatchObject({threads: 2, limit: 'free'})
    expect(chooseThreads({physicalCores: 2, allowedCpus: 2, schedulerCpus: 8, openmp: true})).toMatchObject({threads: 2, limit: 'physical'})
    expect(chooseThreads({physicalCores: 16, allowedCpus: 32, quotaCores: 3, schedulerCpus: 4, openmp: true})).toMatchObject({threads: 3, limit: 'quota'})
  })

  it('reads the Slurm allocation only when it is a whole number of CPUs', () => {
    expect(readSchedulerCpus({SLURM_CPUS_PER_TASK: '4'})).toBe(4)
    expect(readSchedulerCpus({SLURM_CPUS_PER_TASK: ' 2\n'})).toBe(2)
    expect(readSchedulerCpus({})).toBeUndefined()
    for (const value of ['', '0', '-1', '1.5', 'four', '2(x3)']) expect(readSchedulerCpus({SLURM_CPUS_PER_TASK: value})).toBeUndefined()
  })

  it('falls back to the physical cores when the load is unknown', () => {
    expect(chooseThreads({physicalCores: 4, allowedCpus: 8, openmp: false})).toMatchObject({threads: 4, limit: 'physical'})
  })

  it('says why in a few words', () => {
    expect(describeThreadChoice(chooseThreads({...idle2, freeCores: 1}))).toBe('1 thread (set by free: 1.0 of 2 cores free, llama.cpp without OpenMP)')
  })
})

describe('CPU load', () => {
  const stat = (user: number, idle: number): string => `cpu  ${user} 0 0 ${idle} 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\ncpu1 0 0 0 0 0 0 0 0 0 0\n`

  it('measures the cores other processes keep busy, leaving out this process', () => {
    // 1 s on 2 CPUs = 200 ticks: 150 busy, of which this process used 500 ms (50 ticks) → others: 1 core.
    const before = parseProcStat(stat(1000, 1000), 0)!
    const after = parseProcStat(stat(1150, 1050), 500)!
    expect(othersBusyCores(before, after)).toBeCloseTo(1, 5)
  })

  it('counts the children this process waited for as its own time (node-llama-cpp tests its binary in one)', () => {
    // utime 136, stime 23, cutime 66, cstime 6 ticks; the command name may hold spaces and parentheses.
    const text = '4242 (node (main) x) S 1 4242 1 0 -1 4194304 100 0 0 0 136 23 66 6 20 0 11 0 500 1000 200\n'
    expect(parseChildrenCpuMs(text)).toBe(720)
    expect(parseChildrenCpuMs('garbage')).toBe(0)
  })

  it('reads cgroup v2 cpu.max', () => {
    expect(parseCpuMax('max 100000\n')).toBeUndefined()
    expect(parseCpuMax('150000 100000\n')).toBe(1.5)
  })
})
