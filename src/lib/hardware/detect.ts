import type {BackendProbe, LlamaBinaryStatus} from '../engine/index.js'
import type {BandwidthFacts} from './bandwidth.js'
import {explainBackend} from './backend-reason.js'
import {listGpus} from './gpus.js'
import {
  nodeFallbacks,
  systemProbes,
  type CpuFacts,
  type DriverFacts,
  type GraphicsController,
  type HardwareProbes,
  type MemoryFacts,
  type OsFacts,
} from './probes.js'
import {parseSimd} from './simd.js'
import type {BackendName, HardwareProfile} from './types.js'

/** Options of {@link detectHardware}. */
export interface DetectHardwareOptions {
  /**
   * When to load llama.cpp to confirm the backend and read VRAM (about 0.7 s): `auto` (default) only when
   * node-llama-cpp finds GPU libraries; `always` also on CPU-only machines (adds llama.cpp's CPU feature line).
   */
  loadBackend?: 'always' | 'auto' | 'never'
  /** Replaces probes of the real machine (for tests). */
  probes?: Partial<HardwareProbes>
  /** Time limit of each probe in ms; defaults in {@link PROBE_TIMEOUTS_MS}. */
  timeoutsMs?: Partial<Record<keyof HardwareProbes, number>>
  /** Measure memory bandwidth again instead of taking the cached figure of this machine. Default `false`. */
  remeasureBandwidth?: boolean
  /** Receives debug lines (probe timings, llama.cpp logs); default: dropped. */
  logger?: (level: 'debug' | 'error' | 'info' | 'warn', message: string) => void
}

/** The default time limit of each probe, in ms. A probe that takes longer is reported as unknown. */
export const PROBE_TIMEOUTS_MS: Record<keyof HardwareProbes, number> = {
  cpu: 3000,
  memory: 2000,
  os: 3000,
  drivers: 2000,
  graphics: 2500,
  bandwidth: 5000,
  backend: 10_000,
  binary: 2000,
}

// Typical sustained bandwidths, used only when the measurement fails: Apple silicon, ARM boards, x86 desktops.
const ASSUMED_BANDWIDTH = {appleSilicon: 100e9, arm: 8e9, other: 20e9}

interface Settled<T> {
  value?: T
  error?: string
  durationMs: number
}

/**
 * Detects CPU, RAM, GPUs and the backend llama.cpp would use. Every probe runs in parallel under a time limit;
 * a probe that fails or times out leaves its fields unknown (or at Node's own figures) and adds an entry to
 * `unknowns` with the reason. Never throws for a probe failure.
 */
export async function detectHardware(options: DetectHardwareOptions = {}): Promise<HardwareProfile> {
  const probes: HardwareProbes = {...systemProbes, ...options.probes}
  const limits = {...PROBE_TIMEOUTS_MS, ...options.timeoutsMs}
  const logger = options.logger ?? (() => {})
  const run = <T>(name: keyof HardwareProbes, probe: () => Promise<T>): Promise<Settled<T>> => settle(name, probe, limits[name])

  const load = options.loadBackend ?? 'auto'
  const drivers = run('drivers', () => probes.drivers())
  const graphics = drivers.then((result) =>
    mightHaveGpu(result.value) ? run('graphics', () => probes.graphics(limits.graphics)) : {value: [] as GraphicsController[], durationMs: 0},
  )
  const backend = drivers.then((result): Promise<Settled<BackendProbe>> | Settled<BackendProbe> => {
    // node-llama-cpp's own check looks for the same library files; when the scan found none it can only answer
    // "CPU", and importing it (about 0.7 s) would double the time `hw` takes.
    if (load !== 'always' && result.value?.checked && !mightHaveGpu(result.value)) return {value: CPU_WITHOUT_GPU_LIBRARIES, durationMs: 0}
    // The backend probe has its own deadline and reports failures in-band; the outer limit is a backstop.
    return run('backend', () => probes.backend({timeoutMs: limits.backend, load, logger}))
  })
  const [cpu, memory, os, bandwidth, backendProbe, driverFacts, controllers, binary] = await Promise.all([
    run('cpu', () => probes.cpu()),
    run('memory', () => probes.memory()),
    run('os', () => probes.os()),
    run('bandwidth', () => probes.bandwidth(limits.bandwidth, options.remeasureBandwidth ?? false)),
    backend,
    drivers,
    graphics,
    run('binary', () => probes.binary()),
  ])
  const results: ProbeResults = {cpu, memory, os, bandwidth, backend: backendProbe, drivers: driverFacts, graphics: controllers, binary}
  for (const [name, result] of Object.entries(results)) {
    logger('debug', `hw probe ${name}: ${result.durationMs} ms${result.error ? ` (${result.error})` : ''}`)
  }

  return assembleProfile(results)
}

const NO_DRIVER_FACTS: DriverFacts = {
  checked: false,
  nvidiaDriver: null,
  cudaRuntime: false,
  vulkanLoader: false,
  gpuDeviceNodes: false,
  libraries: [],
}

/** What node-llama-cpp would answer on a Linux machine without any GPU library: only the CPU. */
const CPU_WITHOUT_GPU_LIBRARIES: BackendProbe = {
  gpu: false,
  loaded: false,
  supportedGpuTypes: [false],
  validGpuTypes: [],
  gpuNames: [],
  messages: [],
  durationMs: 0,
}

async function settle<T>(name: string, probe: () => Promise<T>, limitMs: number): Promise<Settled<T>> {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${limitMs} ms`)), limitMs)
      timer.unref()
    })
    const value = await Promise.race([probe(), timeout])
    return {value, durationMs: Math.round(performance.now() - started)}
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
    return {error: `${name} probe: ${message.slice(0, 200)}`, durationMs: Math.round(performance.now() - started)}
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Off Linux the drivers are not checked, so always ask. On Linux only when a GPU or a GPU driver shows: a device
 * node, the NVIDIA kernel driver, or a driver library (libcuda, libnvidia-ml, libvulkan). node-llama-cpp 3.22 picks
 * CUDA only when it finds libnvidia-ml and Vulkan only with libvulkan, so without these it can only use the CPU;
 * CUDA runtime libraries alone (libcudart, libcublas) do not make a GPU.
 */
function mightHaveGpu(drivers: DriverFacts | undefined): boolean {
  if (!drivers?.checked) return true
  const driverLibrary = drivers.libraries.some((name) => /^lib(cuda|nvidia-ml|vulkan)\.so/.test(name))
  return Boolean(drivers.nvidiaDriver) || drivers.gpuDeviceNodes || driverLibrary
}

interface ProbeResults {
  cpu: Settled<CpuFacts>
  memory: Settled<MemoryFacts>
  os: Settled<OsFacts>
  bandwidth: Settled<BandwidthFacts>
  backend: Settled<BackendProbe>
  drivers: Settled<DriverFacts>
  graphics: Settled<GraphicsController[]>
  binary: Settled<LlamaBinaryStatus>
}

function assembleProfile(results: ProbeResults): HardwareProfile {
  const unknowns: HardwareProfile['unknowns'] = []
  const unknown = (field: string, reason: string | undefined): void => {
    unknowns.push({field, reason: reason ?? 'not reported'})
  }

  if (results.cpu.error) unknown('cpu', `${results.cpu.error}; using Node's figures`)
  if (results.memory.error) unknown('memory', `${results.memory.error}; using Node's figures`)
  if (results.os.error) unknown('os', `${results.os.error}; using Node's figures`)
  const cpu = results.cpu.value ?? nodeFallbacks.cpu()
  const memory = results.memory.value ?? nodeFallbacks.memory()
  const os = results.os.value ?? nodeFallbacks.os()
  const logicalCores = cpu.logicalCores ?? nodeFallbacks.cpu().logicalCores ?? 1
  if (cpu.physicalCores === null) unknown('cpu.physicalCores', 'systeminformation did not report physical cores; assuming the logical count')

  const probe: BackendProbe = results.backend.value ?? {
    gpu: null,
    loaded: false,
    supportedGpuTypes: [],
    validGpuTypes: [],
    gpuNames: [],
    messages: [],
    error: results.backend.error,
    durationMs: results.backend.durationMs,
  }
  if (probe.error) unknown('backend', probe.error)
  const drivers: DriverFacts = results.drivers.value ?? NO_DRIVER_FACTS
  if (results.drivers.error) unknown('drivers', results.drivers.error)
  if (results.graphics.error) unknown('gpus', `${results.graphics.error}; GPUs llama.cpp cannot use may be missing from the list`)

  const gpus = listGpus(probe, results.graphics.value ?? [], drivers)
  const appleSilicon = os.platform === 'darwin' && os.arch === 'arm64'
  let bandwidth = results.bandwidth.value?.bytesPerSecond ?? null
  let bandwidthSource: HardwareProfile['memory']['bandwidthSource'] = bandwidth === null ? null : 'measured'
  if (bandwidth === null) {
    bandwidth = appleSilicon ? ASSUMED_BANDWIDTH.appleSilicon : os.arch.startsWith('arm') ? ASSUMED_BANDWIDTH.arm : ASSUMED_BANDWIDTH.other
    bandwidthSource = 'assumed'
    unknown('memory.bandwidthBytesPerSecond', `${results.bandwidth.error ?? 'not measured'}; assuming a typical figure`)
  }

  const name: BackendName = probe.gpu === null ? 'unknown' : probe.gpu === false ? 'cpu' : probe.gpu
  return {
    os,
    cpu: {
      model: cpu.model,
      vendor: cpu.vendor,
      physicalCores: cpu.physicalCores ?? logicalCores,
      logicalCores,
      simd: parseSimd(cpu.flags, os.arch, probe.systemInfo),
      llamaSystemInfo: probe.systemInfo ?? null,
    },
    memory: {
      totalBytes: memory.totalBytes,
      availableBytes: memory.availableBytes,
      bandwidthBytesPerSecond: Math.round(bandwidth),
      bandwidthSource,
      ...(results.bandwidth.value ? {bandwidthMeasuredAt: results.bandwidth.value.measuredAt} : {}),
      unified: appleSilicon || (probe.vram?.unifiedBytes ?? 0) > 0,
    },
    gpus,
    backend: {
      name,
      supportedTypes: probe.supportedGpuTypes.map((type) => (type === false ? 'cpu' : type)),
      loaded: probe.loaded,
      checkedBy: checkedBy(probe),
      vramTotalBytes: name !== 'cpu' && name !== 'unknown' ? (probe.vram?.totalBytes ?? null) : null,
      vramFreeBytes: name !== 'cpu' && name !== 'unknown' ? (probe.vram?.freeBytes ?? null) : null,
      llamaCppRelease: probe.llamaCppRelease ?? null,
      reason: explainBackend(name, probe, drivers, gpus),
      binary: llamaBinary(probe, results.binary, unknown),
    },
    drivers,
    unknowns,
  }
}

/** The binary llama.cpp said it loaded from, else what the files tell. */
function llamaBinary(probe: BackendProbe, files: Settled<LlamaBinaryStatus>, unknown: (field: string, reason?: string) => void): LlamaBinaryStatus | null {
  if (probe.binary) {
    const nativeBuilt = files.value?.nativeBuilt ?? probe.binary.kind === 'native'
    const comparison = files.value?.comparison
    return {...probe.binary, choice: files.value?.choice ?? 'auto', nativeBuilt, ...(comparison ? {comparison} : {}), checkedBy: 'llama.cpp'}
  }

  if (!files.value) unknown('backend.binary', files.error)
  return files.value ?? null
}

function checkedBy(probe: BackendProbe): HardwareProfile['backend']['checkedBy'] {
  if (probe.loaded) return 'llama.cpp'
  if (probe === CPU_WITHOUT_GPU_LIBRARIES) return 'library-scan'
  return probe.gpu === null && probe.error ? 'none' : 'node-llama-cpp-check'
}
