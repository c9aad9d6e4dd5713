import type {BackendProbe} from '../engine/index.js'
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
import type {BackendName, BackendReasonCode, GpuBackend, GpuDevice, HardwareProfile} from './types.js'

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
  bandwidth: 2000,
  backend: 10_000,
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
  const [cpu, memory, os, bandwidth, backendProbe, driverFacts, controllers] = await Promise.all([
    run('cpu', () => probes.cpu()),
    run('memory', () => probes.memory()),
    run('os', () => probes.os()),
    run('bandwidth', () => probes.bandwidth(limits.bandwidth)),
    backend,
    drivers,
    graphics,
  ])
  const results: ProbeResults = {cpu, memory, os, bandwidth, backend: backendProbe, drivers: driverFacts, graphics: controllers}
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
  bandwidth: Settled<number>
  backend: Settled<BackendProbe>
  drivers: Settled<DriverFacts>
  graphics: Settled<GraphicsController[]>
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
  let bandwidth = results.bandwidth.value ?? null
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
    },
    drivers,
    unknowns,
  }
}

function checkedBy(probe: BackendProbe): HardwareProfile['backend']['checkedBy'] {
  if (probe.loaded) return 'llama.cpp'
  if (probe === CPU_WITHOUT_GPU_LIBRARIES) return 'library-scan'
  return probe.gpu === null && probe.error ? 'none' : 'node-llama-cpp-check'
}

function listGpus(probe: BackendProbe, controllers: GraphicsController[], drivers: DriverFacts): GpuDevice[] {
  const gpus: GpuDevice[] = []
  const backend: GpuBackend | null = probe.gpu === null || probe.gpu === false ? null : probe.gpu
  if (backend) {
    // node-llama-cpp reports VRAM for all devices together: per device only when there is one.
    const single = probe.gpuNames.length === 1
    for (const name of probe.gpuNames) {
      const match = controllers.find((controller) => sameGpu(controller.model, name))
      gpus.push({
        name,
        vendor: vendorOf(name) ?? normalizeVendor(match?.vendor ?? null),
        vramTotalBytes: single ? (probe.vram?.totalBytes ?? null) : (match?.vramTotalBytes ?? null),
        vramFreeBytes: single ? (probe.vram?.freeBytes ?? null) : (match?.vramFreeBytes ?? null),
        backend,
        source: 'llama.cpp',
      })
    }
  }

  for (const controller of controllers) {
    if (!controller.model || gpus.some((gpu) => sameGpu(controller.model, gpu.name))) continue
    gpus.push({
      name: controller.model,
      vendor: normalizeVendor(controller.vendor) ?? vendorOf(controller.model),
      vramTotalBytes: controller.vramTotalBytes,
      vramFreeBytes: controller.vramFreeBytes,
      backend: null,
      source: 'systeminformation',
    })
  }

  if (drivers.nvidiaDriver && !gpus.some((gpu) => gpu.vendor === 'NVIDIA')) {
    // The kernel driver is loaded, but no tool named the card (systeminformation needs lspci for that).
    gpus.push({name: 'NVIDIA GPU (model unknown)', vendor: 'NVIDIA', vramTotalBytes: null, vramFreeBytes: null, backend: null, source: 'driver'})
  }

  return gpus
}

function sameGpu(a: string | null, b: string): boolean {
  if (!a) return false
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  return x.includes(y) || y.includes(x)
}

/** `NVIDIA Corporation` → `NVIDIA`; unknown vendors stay as they are. */
function normalizeVendor(vendor: string | null): string | null {
  return vendor ? (vendorOf(vendor) ?? vendor) : null
}

/** The vendor a GPU name implies, or null. */
export function vendorOf(name: string): string | null {
  if (/nvidia|geforce|quadro|tesla|rtx|gtx/i.test(name)) return 'NVIDIA'
  if (/\bamd\b|radeon|\bati\b/i.test(name)) return 'AMD'
  if (/intel|\barc\b|iris|uhd graphics/i.test(name)) return 'Intel'
  if (/apple/i.test(name)) return 'Apple'
  return null
}

const BACKEND_LABEL: Record<GpuBackend, string> = {cuda: 'CUDA', metal: 'Metal', vulkan: 'Vulkan'}

function explainBackend(
  name: BackendName,
  probe: BackendProbe,
  drivers: DriverFacts,
  gpus: GpuDevice[],
): {code: BackendReasonCode; message: string} {
  const gpuLibraries = probe.supportedGpuTypes.filter((type): type is GpuBackend => type !== false)
  if (name === 'unknown') {
    if (gpuLibraries.length > 0 && !probe.error) {
      return {code: 'GPU_NOT_CHECKED', message: `${list(gpuLibraries)} libraries found, but llama.cpp was not loaded to confirm it can use them`}
    }

    return {
      code: 'PROBE_FAILED',
      message: `could not ask llama.cpp which backend it would use (${probe.error ?? 'no answer'}); assuming the CPU`,
    }
  }

  if (name !== 'cpu') {
    const devices = probe.gpuNames.length > 0 ? ` on ${probe.gpuNames.join(', ')}` : ''
    return {code: 'GPU_BACKEND', message: `llama.cpp uses ${BACKEND_LABEL[name]}${devices}`}
  }

  if (gpuLibraries.length > 0 && probe.loaded) {
    const why = probe.messages.find((message) => /not compatible|failed|error|cannot|could not/i.test(message))
    const types = list(gpuLibraries)
    return {
      code: 'GPU_BINARY_FAILED',
      message: `${types} libraries found, but llama.cpp's ${types} binary did not load${why ? `: ${why}` : ''}; running on the CPU`,
    }
  }

  if (drivers.nvidiaDriver && !drivers.cudaRuntime) {
    const driver = /^\d/.test(drivers.nvidiaDriver) ? ` ${drivers.nvidiaDriver}` : ''
    const vulkan = drivers.vulkanLoader ? '' : ' and no Vulkan loader (libvulkan) either'
    return {
      code: 'CUDA_RUNTIME_MISSING',
      message: `NVIDIA driver${driver} found, but not the CUDA runtime (libcudart, libcublas)${vulkan}, so llama.cpp runs on the CPU: install the CUDA 12 or 13 runtime, or a Vulkan driver`,
    }
  }

  const visible = gpus.filter((gpu) => gpu.source !== 'llama.cpp')
  if (visible.length > 0 || drivers.gpuDeviceNodes) {
    const names = visible.length > 0 ? ` (${visible.map((gpu) => gpu.name).join(', ')})` : ''
    return {
      code: 'GPU_RUNTIME_MISSING',
      message: `a GPU is present${names}, but neither the CUDA runtime nor a Vulkan loader (libvulkan) was found, so llama.cpp runs on the CPU: install the vendor's Vulkan driver`,
    }
  }

  if (!drivers.checked) return {code: 'NO_GPU', message: 'no GPU library found: llama.cpp runs on the CPU'}
  const only = drivers.libraries.length > 0 ? ` (only ${drivers.libraries.join(', ')}, which need a GPU driver)` : ''
  return {code: 'NO_GPU', message: `no GPU and no GPU driver found${only}: llama.cpp runs on the CPU`}
}

function list(types: GpuBackend[]): string {
  return types.map((type) => BACKEND_LABEL[type]).join('/')
}

const SIMD_ORDER = [
  'SSE3',
  'SSSE3',
  'AVX',
  'AVX2',
  'AVX-VNNI',
  'AVX-512',
  'AVX512-VNNI',
  'AVX512-BF16',
  'FMA',
  'F16C',
  'NEON',
  'DOTPROD',
  'I8MM',
  'SVE',
  'SVE2',
] as const
const CPU_FLAGS: Record<string, (typeof SIMD_ORDER)[number]> = {
  pni: 'SSE3',
  sse3: 'SSE3',
  ssse3: 'SSSE3',
  avx: 'AVX',
  avx1_0: 'AVX',
  avx2: 'AVX2',
  avx_vnni: 'AVX-VNNI',
  avx512f: 'AVX-512',
  avx512_vnni: 'AVX512-VNNI',
  avx512_bf16: 'AVX512-BF16',
  fma: 'FMA',
  f16c: 'F16C',
  asimd: 'NEON',
  neon: 'NEON',
  asimddp: 'DOTPROD',
  i8mm: 'I8MM',
  sve: 'SVE',
  sve2: 'SVE2',
}
const LLAMA_FLAGS: Record<string, (typeof SIMD_ORDER)[number]> = {
  SSE3: 'SSE3',
  SSSE3: 'SSSE3',
  AVX: 'AVX',
  AVX2: 'AVX2',
  AVX_VNNI: 'AVX-VNNI',
  AVX512: 'AVX-512',
  AVX512_VNNI: 'AVX512-VNNI',
  AVX512_BF16: 'AVX512-BF16',
  FMA: 'FMA',
  F16C: 'F16C',
  NEON: 'NEON',
  DOTPROD: 'DOTPROD',
  MATMUL_INT8: 'I8MM',
  SVE: 'SVE',
  SVE2: 'SVE2',
}

/**
 * The SIMD extensions llama.cpp cares about, from the CPU flags (`/proc/cpuinfo`, sysctl) and, when llama.cpp
 * was loaded, its own feature line. 64-bit ARM always has NEON, even when the OS lists no flags (macOS).
 */
export function parseSimd(flags: string, arch: string, llamaSystemInfo?: string): string[] {
  const found = new Set<string>()
  for (const flag of flags.toLowerCase().split(/[\s,]+/)) {
    const name = CPU_FLAGS[flag.replace(/\./g, '_')]
    if (name) found.add(name)
  }

  for (const match of (llamaSystemInfo ?? '').matchAll(/([A-Z0-9_]+) = 1/g)) {
    const name = LLAMA_FLAGS[match[1]]
    if (name) found.add(name)
  }

  if (arch === 'arm64') found.add('NEON')
  return SIMD_ORDER.filter((name) => found.has(name))
}
