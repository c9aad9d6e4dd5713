// Detects what this machine offers a local model: CPU, RAM, GPUs, and the backend llama.cpp would use.
import {availableParallelism} from 'node:os'

export {detectHardware, parseSimd, PROBE_TIMEOUTS_MS, vendorOf} from './detect.js'
export type {DetectHardwareOptions} from './detect.js'
export {detectDrivers, measureBandwidth, systemProbes} from './probes.js'
export type {CpuFacts, DriverFacts, GraphicsController, HardwareProbes, MemoryFacts, OsFacts} from './probes.js'
export type {BackendName, BackendReasonCode, GpuBackend, GpuDevice, HardwareProfile} from './types.js'

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
