// The CPU llama.cpp computes on: how many cores it may use. Read by the engines (threads) and by hardware detection.
import {availableParallelism} from 'node:os'

/**
 * The number of physical CPU cores, the right default for llama.cpp threads: more threads than free
 * cores makes ggml's thread pool spin and slows generation by orders of magnitude on small machines.
 * Falls back to the logical count when systeminformation cannot tell.
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
