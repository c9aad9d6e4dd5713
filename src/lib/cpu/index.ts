// The CPU llama.cpp computes on: physical cores, the cgroup quota, the load other processes put on it, and the
// thread count that follows from them. Read by the engines (threads), bench (fingerprint) and hardware detection.
export {startBusyCores} from './busy.js'
export type {BusyCores} from './busy.js'
export {detectPhysicalCores} from './cores.js'
export {measureFreeCores, othersBusyCores, parseChildrenCpuMs, parseProcStat, takeCpuSnapshot} from './load.js'
export type {CpuSnapshot} from './load.js'
export {parseCpuMax, readCpuQuotaCores} from './quota.js'
export {chooseThreads, describeThreadChoice, readCpuLimits, readSchedulerCpus, threadCeiling} from './threads.js'
export type {CpuLimits, ThreadChoice, ThreadInputs, ThreadLimit} from './threads.js'
