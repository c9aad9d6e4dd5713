import {availableParallelism} from 'node:os'

/**
 * The number of physical CPU cores, the most threads llama.cpp should ever use: hyper-threads share a core's
 * arithmetic units, so more threads than physical cores only adds barrier waits. Falls back to the logical count
 * when systeminformation cannot tell.
 */
export async function detectPhysicalCores(): Promise<number> {
  try {
    const si = await import('systeminformation')
    const cpu = await si.default.cpu()
    if (cpu.physicalCores > 0) return cpu.physicalCores
  } catch {
    // systeminformation failing is not fatal: the logical count below is a safe default.
  }

  return availableParallelism()
}
