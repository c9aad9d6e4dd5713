// Detects what this machine offers a local model: CPU, RAM, GPUs, and the backend llama.cpp would use.
export {detectHardware, PROBE_TIMEOUTS_MS} from './detect.js'
export type {DetectHardwareOptions} from './detect.js'
export {vendorOf} from './gpus.js'
export {parseSimd} from './simd.js'
export {detectDrivers, measureBandwidth, systemProbes} from './probes.js'
export type {CpuFacts, DriverFacts, GraphicsController, HardwareProbes, MemoryFacts, OsFacts} from './probes.js'
export type {BackendName, BackendReasonCode, GpuBackend, GpuDevice, HardwareProfile} from './types.js'
export {detectPhysicalCores} from '../cpu/index.js'
