import type {LlamaBinaryStatus} from '../engine/index.js'

/** A llama.cpp GPU backend. */
export type GpuBackend = 'cuda' | 'metal' | 'vulkan'

/** The backend llama.cpp uses: a GPU backend, `cpu`, or `unknown` when it could not be asked. */
export type BackendName = GpuBackend | 'cpu' | 'unknown'

/** Why llama.cpp uses the backend it uses (or why not a GPU). */
export type BackendReasonCode =
  | 'GPU_BACKEND' // llama.cpp loaded a GPU backend
  | 'NO_GPU' // no GPU and no GPU runtime: the CPU is the only choice
  | 'CUDA_RUNTIME_MISSING' // the NVIDIA driver is there, the CUDA runtime libraries are not
  | 'GPU_RUNTIME_MISSING' // a GPU is there, but neither CUDA nor a Vulkan loader
  | 'GPU_BINARY_FAILED' // GPU libraries found, but llama.cpp's GPU binary did not load
  | 'GPU_NOT_CHECKED' // GPU libraries found, llama.cpp not loaded to confirm
  | 'PROBE_FAILED' // node-llama-cpp could not be asked

/** One GPU, as llama.cpp, systeminformation or the driver sees it. */
export interface GpuDevice {
  name: string
  /** NVIDIA, AMD, Intel, Apple…; null when unknown. */
  vendor: string | null
  vramTotalBytes: number | null
  vramFreeBytes: number | null
  /** The llama.cpp backend that runs on this GPU; null when llama.cpp cannot use it. */
  backend: GpuBackend | null
  /** Where the facts come from: llama.cpp (authoritative), systeminformation or the driver's files. */
  source: 'driver' | 'llama.cpp' | 'systeminformation'
}

/**
 * Everything the advisor needs to know about a machine, and what `hw` shows. Values that could not be
 * detected are null and listed in `unknowns` with the reason.
 */
export interface HardwareProfile {
  os: {platform: string; arch: string; distro: string | null; release: string | null}
  cpu: {
    /** e.g. `AMD EPYC`, `Apple M2 Max`. */
    model: string | null
    vendor: string | null
    physicalCores: number
    logicalCores: number
    /** SIMD extensions llama.cpp uses: AVX, AVX2, AVX-512, FMA, F16C, NEON, DOTPROD, SVE, I8MM… */
    simd: string[]
    /** llama.cpp's own CPU feature line, when llama.cpp was loaded. */
    llamaSystemInfo: string | null
  }
  memory: {
    totalBytes: number
    /** What can be allocated without swapping (MemAvailable), not just the free pages. */
    availableBytes: number
    /**
     * Memory bandwidth in bytes per second, which bounds CPU generation speed (every token reads all weights).
     * `measured`: every core copying at once, the median of several passes; `assumed`: a fixture's or a typical figure.
     */
    bandwidthBytesPerSecond: number | null
    bandwidthSource: 'assumed' | 'measured' | null
    /** When the measured figure was taken (ISO 8601): it is cached, so it may be older than this run. */
    bandwidthMeasuredAt?: string
    /** The GPU shares system RAM (Apple silicon). */
    unified: boolean
  }
  gpus: GpuDevice[]
  backend: {
    name: BackendName
    /** GPU types whose libraries node-llama-cpp found (`cpu` is always possible). */
    supportedTypes: BackendName[]
    /** llama.cpp was loaded to confirm the backend and read VRAM. */
    loaded: boolean
    /**
     * Who determined the backend: `llama.cpp` (loaded), `node-llama-cpp-check` (its GPU library check, without
     * loading), `library-scan` (jsl-med found no GPU library at all, so node-llama-cpp was not needed), or
     * `none` (the probe failed).
     */
    checkedBy: 'library-scan' | 'llama.cpp' | 'node-llama-cpp-check' | 'none'
    vramTotalBytes: number | null
    vramFreeBytes: number | null
    llamaCppRelease: string | null
    reason: {code: BackendReasonCode; message: string}
    /**
     * The llama.cpp binary a CPU load takes (`JSL_MED_LLAMA_BINARY`, native build or prebuilt) and whether it uses
     * OpenMP; from llama.cpp when it was loaded, else from the files. Null when unknown; absent in older documents.
     */
    binary?: LlamaBinaryStatus | null
  }
  /** GPU drivers and runtime libraries found on disk; only checked on Linux (`checked: false` elsewhere). */
  drivers: {
    checked: boolean
    /** The NVIDIA kernel driver's version (or `loaded` when its version is unreadable); null when absent. */
    nvidiaDriver: string | null
    /** libcudart and libcublas were found. */
    cudaRuntime: boolean
    /** libvulkan was found. */
    vulkanLoader: boolean
    /** GPU device nodes exist (`/dev/dri/renderD*`, `/dev/nvidia*`). */
    gpuDeviceNodes: boolean
    /** The GPU library files found (libcuda, libcudart, libcublas, libnvidia-ml, libvulkan). */
    libraries: string[]
  }
  unknowns: Array<{field: string; reason: string}>
}
