import {execFile} from 'node:child_process'
import {access, readdir, readFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {availableParallelism, cpus, freemem, platform, release, totalmem} from 'node:os'
import {join} from 'node:path'

import {inspectLlamaBinary, probeLlamaBackend, type BackendProbe, type LlamaBinaryStatus, type ProbeBackendOptions} from '../engine/index.js'
import {cachedBandwidth, type BandwidthFacts} from './bandwidth.js'
import type {HardwareProfile} from './types.js'

/** CPU facts from systeminformation. */
export interface CpuFacts {
  model: string | null
  vendor: string | null
  physicalCores: number | null
  logicalCores: number | null
  /** Space-separated CPU feature flags (`/proc/cpuinfo` style). */
  flags: string
}

/** RAM in bytes. */
export interface MemoryFacts {
  totalBytes: number
  availableBytes: number
}

/** The operating system. */
export type OsFacts = HardwareProfile['os']

/** GPU driver and runtime libraries on disk. */
export type DriverFacts = HardwareProfile['drivers']

/** One graphics controller as systeminformation describes it. */
export interface GraphicsController {
  vendor: string | null
  model: string | null
  vramTotalBytes: number | null
  vramFreeBytes: number | null
}

/**
 * The probes {@link detectHardware} runs, each a separate function so that tests can replace any of them
 * (a failing, a hanging or a fake probe) without touching the machine.
 */
export interface HardwareProbes {
  cpu(): Promise<CpuFacts>
  memory(): Promise<MemoryFacts>
  os(): Promise<OsFacts>
  drivers(): Promise<DriverFacts>
  /** Only called when the drivers show a GPU might be present (or off Linux, where they are not checked). */
  graphics(timeoutMs: number): Promise<GraphicsController[]>
  /** Memory bandwidth and when it was measured; `refresh` measures again instead of reading the cache. */
  bandwidth(timeoutMs: number, refresh: boolean): Promise<BandwidthFacts>
  backend(options: ProbeBackendOptions): Promise<BackendProbe>
  /** Which llama.cpp binary a load would take, from the files (without loading llama.cpp). */
  binary(): Promise<LlamaBinaryStatus>
}

type SystemInformation = typeof import('systeminformation')
let systemInformation: Promise<SystemInformation> | undefined

// Imported on first use (about 60 ms), so that `--help` never pays for it.
async function si(): Promise<SystemInformation> {
  systemInformation ??= import('systeminformation').then((module) => (module as {default?: SystemInformation}).default ?? module)
  return systemInformation
}

const MIB = 1024 * 1024

/** The probes of the real machine. */
export const systemProbes: HardwareProbes = {
  async cpu() {
    const info = await (await si()).cpu()
    const flags = info.flags || (await (await si()).cpuFlags())
    const model = [info.manufacturer, info.brand].filter(Boolean).join(' ').trim()
    return {
      model: model || cpus()[0]?.model?.trim() || null,
      vendor: info.vendor || info.manufacturer || null,
      physicalCores: info.physicalCores > 0 ? info.physicalCores : null,
      logicalCores: info.cores > 0 ? info.cores : null,
      flags,
    }
  },

  async memory() {
    const mem = await (await si()).mem()
    return {totalBytes: mem.total, availableBytes: mem.available}
  },

  async os() {
    const info = await (await si()).osInfo()
    const distro = info.distro ? `${info.distro} ${info.release}`.trim() : null
    return {platform: info.platform || platform(), arch: process.arch, distro, release: info.kernel || release()}
  },

  drivers: detectDrivers,
  graphics: describeGraphics,
  bandwidth: (timeoutMs, refresh) => cachedBandwidth({timeoutMs, refresh}),
  backend: probeLlamaBackend,
  binary: () => inspectLlamaBinary(),
}

/** The facts Node itself knows, used when systeminformation fails. */
export const nodeFallbacks = {
  cpu: (): CpuFacts => ({
    model: cpus()[0]?.model?.trim() || null,
    vendor: null,
    physicalCores: null,
    logicalCores: availableParallelism(),
    flags: '',
  }),
  memory: (): MemoryFacts => ({totalBytes: totalmem(), availableBytes: freemem()}),
  os: (): OsFacts => ({platform: platform(), arch: process.arch, distro: null, release: release()}),
}

// node-llama-cpp looks for GPU libraries in PATH, LD_LIBRARY_PATH, CUDA_PATH and these directories.
const LINUX_LIBRARY_DIRS = [
  '/usr/lib',
  '/usr/lib64',
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib/armv7l-linux-gnu',
  '/usr/local/cuda/lib64',
  '/usr/lib/wsl/lib',
]

/** GPU driver and runtime library names (CUDA, NVML, Vulkan). */
const GPU_LIBRARY = /^lib(cuda|cudart|cublas|cublasLt|nvidia-ml|vulkan)\.so(\.\d+)*$/

/**
 * Looks for GPU drivers and runtime libraries where node-llama-cpp looks for them, so that `hw` can say *why*
 * llama.cpp cannot use a GPU (e.g. an NVIDIA driver without the CUDA runtime), and can skip loading
 * node-llama-cpp when there is no GPU library at all. Linux only; elsewhere it reports `checked: false`.
 */
export async function detectDrivers(): Promise<DriverFacts> {
  if (platform() !== 'linux') {
    return {checked: false, nvidiaDriver: null, cudaRuntime: false, vulkanLoader: false, gpuDeviceNodes: false, libraries: []}
  }

  const env = process.env
  const dirs = new Set([
    ...[env.PATH, env.LD_LIBRARY_PATH, env.CUDA_PATH].flatMap((value) => (value ?? '').split(':')).filter(Boolean),
    ...(env.CUDA_PATH ? [join(env.CUDA_PATH, 'lib64')] : []),
    ...(env.PREFIX?.toLowerCase().includes('termux') ? [join(env.PREFIX, 'usr/lib')] : []),
    ...LINUX_LIBRARY_DIRS,
    ...(await cudaTargetDirs()),
  ])
  const entries = await Promise.all([...dirs].map((dir) => readdir(dir).catch(() => [] as string[])))
  const libraries = [...new Set(entries.flat().filter((name) => GPU_LIBRARY.test(name)))].sort()
  const has = (pattern: RegExp): boolean => libraries.some((name) => pattern.test(name))
  const nvidiaVersion = await readFile('/proc/driver/nvidia/version', 'utf8').then(
    (text) => /Kernel Module(?:\s+for\s+\S+)?\s+(\d+(?:\.\d+)+)/.exec(text)?.[1] ?? 'loaded',
    () => (has(/^libnvidia-ml\./) ? 'libraries only' : null),
  )
  const deviceNodes = await Promise.all([
    readdir('/dev/dri').then((names) => names.some((name) => name.startsWith('renderD')), () => false),
    access('/dev/nvidia0').then(() => true, () => false),
  ])
  return {
    checked: true,
    nvidiaDriver: nvidiaVersion,
    cudaRuntime: has(/^libcudart\./) && has(/^libcublas\./),
    vulkanLoader: has(/^libvulkan\./),
    gpuDeviceNodes: deviceNodes.some(Boolean),
    libraries,
  }
}

async function cudaTargetDirs(): Promise<string[]> {
  const list = (dir: string): Promise<string[]> => readdir(dir).catch(() => [] as string[])
  const roots = (await list('/usr/local')).filter((name) => name.startsWith('cuda')).map((name) => join('/usr/local', name, 'targets'))
  const dirs = await Promise.all(
    roots.map(async (root) => (await list(root)).flatMap((target) => [join(root, target, 'lib'), join(root, target, 'lib/stubs')])),
  )
  return dirs.flat()
}

/**
 * systeminformation's `graphics()`, run in a child process: it calls `lspci`, `nvidia-smi` and others
 * synchronously and can block for seconds, which a timeout in this process could not interrupt.
 */
export async function describeGraphics(timeoutMs: number): Promise<GraphicsController[]> {
  const modulePath = createRequire(import.meta.url).resolve('systeminformation')
  // The child answers on fd 1, which execFile captures; nothing reaches this process's stdout.
  const script = `require(${JSON.stringify(modulePath)}).graphics().then((g) => require('node:fs').writeSync(1, JSON.stringify(g.controllers)))`
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile(process.execPath, ['-e', script], {timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * MIB}, (error, out) => {
      if (error) reject(error.killed ? new Error(`timed out after ${timeoutMs} ms`) : error)
      else resolve(out)
    })
    child.stdin?.end()
  })
  const controllers = JSON.parse(stdout || '[]') as Array<Record<string, unknown>>
  return controllers.map((controller) => {
    const totalMiB = numberOrNull(controller.memoryTotal) ?? numberOrNull(controller.vram)
    const freeMiB = numberOrNull(controller.memoryFree)
    return {
      vendor: stringOrNull(controller.vendor),
      model: stringOrNull(controller.model) ?? stringOrNull(controller.name),
      vramTotalBytes: totalMiB && !controller.vramDynamic ? totalMiB * MIB : null,
      vramFreeBytes: freeMiB === null ? null : freeMiB * MIB,
    }
  })
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value.trim() ? value.trim() : null
}
