// Detects what this machine offers a local model: CPU, RAM, GPUs, and the backend llama.cpp would use.
export {detectHardware, parseSimd, PROBE_TIMEOUTS_MS, vendorOf} from './detect.js'
export type {DetectHardwareOptions} from './detect.js'
export {detectDrivers, measureBandwidth, systemProbes} from './probes.js'
export type {CpuFacts, DriverFacts, GraphicsController, HardwareProbes, MemoryFacts, OsFacts} from './probes.js'
export type {BackendName, BackendReasonCode, GpuBackend, GpuDevice, HardwareProfile} from './types.js'
export {detectPhysicalCores} from '../cpu/index.js'
