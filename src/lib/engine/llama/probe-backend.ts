import type {LlamaLogLevel} from 'node-llama-cpp'

import type {EngineLogger} from '../types.js'
import {
  describeLlamaBinary,
  findNativeLlamaBuild,
  firstLoadedLlamaBinary,
  llamaBinaryOptions,
  noteLoadedLlamaBinary,
  readLlamaBinaryChoice,
  type LlamaBinary,
} from './binary.js'

/** A llama.cpp GPU backend, or `false` for the CPU. */
export type BackendGpuType = 'cuda' | 'metal' | 'vulkan' | false

/** Options of {@link probeLlamaBackend}. */
export interface ProbeBackendOptions {
  /** Upper bound for the whole probe (import, library checks, loading llama.cpp); default 8000 ms. */
  timeoutMs?: number
  /**
   * When to load llama.cpp itself (about 0.7 s): `auto` (the default) only when node-llama-cpp found a GPU
   * library, because without one it can only use the CPU; `always`; or `never`.
   */
  load?: 'always' | 'auto' | 'never'
  /** Receives node-llama-cpp's log lines (default: dropped); they never go to stdout. */
  logger?: EngineLogger
}

/** llama.cpp's own view of the machine, from node-llama-cpp. */
export interface BackendProbe {
  /** The backend llama.cpp uses with `gpu: 'auto'`: a GPU type, `false` for the CPU, `null` when unknown. */
  gpu: BackendGpuType | null
  /** llama.cpp was loaded, so `gpu`, `vram`, `gpuNames` and `systemInfo` are first-hand. */
  loaded: boolean
  /** GPU types whose driver and runtime libraries node-llama-cpp found (`getLlamaGpuTypes('supported')`). */
  supportedGpuTypes: BackendGpuType[]
  /** GPU types this OS and architecture can use at all (`getLlamaGpuTypes('allValid')`). */
  validGpuTypes: BackendGpuType[]
  /** Names of the GPU devices the backend sees. */
  gpuNames: string[]
  /** VRAM of the backend's devices together; `unifiedBytes` is the part shared with system RAM. */
  vram?: {totalBytes: number; freeBytes: number; unifiedBytes: number}
  /** The CPU cores llama.cpp counts for math. */
  cpuMathCores?: number
  /** llama.cpp's CPU feature string, e.g. `CPU : SSE3 = 1 | AVX2 = 1 | …`. */
  systemInfo?: string
  /** The llama.cpp release the binary was built from, e.g. `v0.5.0`. */
  llamaCppRelease?: string
  /** The binary llama.cpp was loaded from (`JSL_MED_LLAMA_BINARY` picks it), when it was loaded. */
  binary?: LlamaBinary
  /** Warnings and errors node-llama-cpp logged while probing (e.g. why a CUDA binary did not load). */
  messages: string[]
  /** Why the probe failed or stopped early; the fields above are then partial. */
  error?: string
  durationMs: number
}

const DEFAULT_TIMEOUT_MS = 8000

/**
 * Asks node-llama-cpp which backend llama.cpp would use here and what it sees: GPU devices, VRAM, CPU features.
 * Never throws: a failure or a timeout is reported in `error` with whatever was learnt before it.
 * node-llama-cpp is imported lazily; llama.cpp is loaded only when `load` says so, and disposed again.
 */
export async function probeLlamaBackend(options: ProbeBackendOptions = {}): Promise<BackendProbe> {
  const started = performance.now()
  const deadline = started + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS)
  const messages: string[] = []
  const probe: BackendProbe = {gpu: null, loaded: false, supportedGpuTypes: [], validGpuTypes: [], gpuNames: [], messages, durationMs: 0}
  const log = (level: string, message: string): void => {
    const text = message.trim()
    if (!text) return
    if (level === 'warn' || level === 'error' || level === 'fatal') messages.push(text)
    const ours = level === 'fatal' ? 'error' : level === 'log' ? 'info' : (level as 'debug' | 'error' | 'info' | 'warn')
    options.logger?.(ours, `llama.cpp: ${text}`)
  }

  try {
    const nlc = await beforeDeadline(import('node-llama-cpp'), deadline, 'importing node-llama-cpp')
    probe.validGpuTypes = await beforeDeadline(nlc.getLlamaGpuTypes('allValid'), deadline, 'listing GPU types')
    probe.supportedGpuTypes = await beforeDeadline(nlc.getLlamaGpuTypes('supported'), deadline, 'looking for GPU libraries')
    const hasGpuLibrary = probe.supportedGpuTypes.some((type) => type !== false)
    // With no GPU library, gpu 'auto' has nothing to try but the CPU: the answer is known without loading.
    if (!hasGpuLibrary) probe.gpu = false
    const load = options.load ?? 'auto'
    if (load === 'never' || (load === 'auto' && !hasGpuLibrary)) return probe

    const choice = readLlamaBinaryChoice()
    const native = await findNativeLlamaBuild()
    const pending = nlc.getLlama({
      ...llamaBinaryOptions(choice, {nativeBuilding: native.building, nativeSlower: native.comparison?.preferred === 'prebuilt', loadedBefore: firstLoadedLlamaBinary()}),
      gpu: 'auto',
      logLevel: 'warn' as LlamaLogLevel,
      logger: (level, message) => log(level, message),
      progressLogs: false,
    })
    const llama = await beforeDeadline(pending, deadline, 'loading llama.cpp', () => {
      // The load goes on in the background after a timeout; free it when it lands.
      pending.then((late) => late.dispose()).catch(() => {})
    })
    try {
      probe.loaded = true
      probe.gpu = llama.gpu
      probe.cpuMathCores = llama.cpuMathCores
      probe.systemInfo = llama.systemInfo.trim()
      probe.llamaCppRelease = llama.llamaCppRelease.release
      probe.binary = describeLlamaBinary(llama)
      noteLoadedLlamaBinary(probe.binary)
      const [vram, names] = await beforeDeadline(Promise.all([llama.getVramState(), llama.getGpuDeviceNames()]), deadline, 'reading VRAM')
      probe.gpuNames = names
      if (llama.gpu !== false) probe.vram = {totalBytes: vram.total, freeBytes: vram.free, unifiedBytes: vram.unifiedSize}
    } finally {
      await llama.dispose()
    }
  } catch (error) {
    probe.error = error instanceof Error ? error.message.split('\n')[0].slice(0, 300) : String(error)
  } finally {
    probe.durationMs = Math.round(performance.now() - started)
  }

  return probe
}

class DeadlineError extends Error {}

async function beforeDeadline<T>(promise: Promise<T>, deadline: number, what: string, onLate?: () => void): Promise<T> {
  const remainingMs = Math.max(0, deadline - performance.now())
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`timed out ${what}`)), remainingMs)
  })
  try {
    return await Promise.race([promise, timeout])
  } catch (error) {
    if (error instanceof DeadlineError) onLate?.()
    throw error
  } finally {
    clearTimeout(timer)
  }
}
