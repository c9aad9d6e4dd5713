import {platform} from 'node:os'

import {describe, expect, it, vi} from 'vitest'

import type {BackendProbe} from '../../../src/lib/engine/index.js'
import {
  detectDrivers,
  detectHardware,
  detectPhysicalCores,
  measureBandwidth,
  parseSimd,
  vendorOf,
  type DriverFacts,
  type HardwareProbes,
} from '../../../src/lib/hardware/index.js'

const NO_DRIVERS: DriverFacts = {checked: true, nvidiaDriver: null, cudaRuntime: false, vulkanLoader: false, gpuDeviceNodes: false, libraries: []}

function backendProbe(overrides: Partial<BackendProbe> = {}): BackendProbe {
  return {gpu: false, loaded: false, supportedGpuTypes: [false], validGpuTypes: ['cuda', 'vulkan', false], gpuNames: [], messages: [], durationMs: 1, ...overrides}
}

/** Probes of a made-up Linux box: no real machine is read. */
function fakeProbes(overrides: Partial<HardwareProbes> = {}): HardwareProbes {
  return {
    cpu: async () => ({model: 'Test CPU 9000', vendor: 'TestVendor', physicalCores: 4, logicalCores: 8, flags: 'fpu sse2 pni ssse3 avx avx2 fma f16c'}),
    memory: async () => ({totalBytes: 16e9, availableBytes: 12e9}),
    os: async () => ({platform: 'linux', arch: 'x64', distro: 'Test Linux 1', release: '6.0.0'}),
    drivers: async () => NO_DRIVERS,
    graphics: async () => [],
    bandwidth: async () => ({bytesPerSecond: 20e9, measuredAt: '2026-01-01T00:00:00.000Z'}),
    backend: async () => backendProbe(),
    binary: async () => ({kind: 'prebuilt', openmp: false, choice: 'auto', nativeBuilt: false, checkedBy: 'files'}),
    ...overrides,
  }
}

describe('detectHardware with injected probes', () => {
  it('assembles a CPU-only profile without asking node-llama-cpp when no GPU library exists', async () => {
    const backend = vi.fn(async () => backendProbe())
    const graphics = vi.fn(async () => [])
    const profile = await detectHardware({probes: fakeProbes({backend, graphics})})
    expect(backend).not.toHaveBeenCalled()
    expect(graphics).not.toHaveBeenCalled()
    expect(profile).toMatchObject({
      os: {platform: 'linux', arch: 'x64'},
      cpu: {model: 'Test CPU 9000', physicalCores: 4, logicalCores: 8, simd: ['SSE3', 'SSSE3', 'AVX', 'AVX2', 'FMA', 'F16C']},
      memory: {totalBytes: 16e9, availableBytes: 12e9, bandwidthBytesPerSecond: 20e9, bandwidthSource: 'measured', unified: false},
      gpus: [],
      backend: {name: 'cpu', supportedTypes: ['cpu'], loaded: false, checkedBy: 'library-scan', reason: {code: 'NO_GPU'}},
      unknowns: [],
    })
  })

  it('asks node-llama-cpp anyway with loadBackend: always', async () => {
    const backend = vi.fn(async () => backendProbe({loaded: true, systemInfo: 'CPU : AVX2 = 1 | AVX512 = 1 |', llamaCppRelease: 'v0.5.0'}))
    const profile = await detectHardware({loadBackend: 'always', probes: fakeProbes({backend})})
    expect(backend).toHaveBeenCalledWith(expect.objectContaining({load: 'always'}))
    expect(profile.backend).toMatchObject({name: 'cpu', loaded: true, checkedBy: 'llama.cpp', llamaCppRelease: 'v0.5.0'})
    expect(profile.backend.binary).toEqual({kind: 'prebuilt', openmp: false, choice: 'auto', nativeBuilt: false, checkedBy: 'files'})
    expect(profile.cpu.simd).toContain('AVX-512')
    expect(profile.cpu.llamaSystemInfo).toBe('CPU : AVX2 = 1 | AVX512 = 1 |')
  })

  it('takes the binary from llama.cpp when it was loaded, and from the files otherwise', async () => {
    const backend = async (): Promise<BackendProbe> => backendProbe({loaded: true, systemInfo: 'CPU : AVX2 = 1 | OPENMP = 1 |', binary: {kind: 'native', openmp: true}})
    const binary = async () => ({kind: 'native' as const, openmp: true, choice: 'auto' as const, nativeBuilt: true, checkedBy: 'files' as const})
    const loaded = await detectHardware({loadBackend: 'always', probes: fakeProbes({backend, binary})})
    expect(loaded.backend.binary).toEqual({kind: 'native', openmp: true, choice: 'auto', nativeBuilt: true, checkedBy: 'llama.cpp'})
    const failed = await detectHardware({probes: fakeProbes({binary: async () => Promise.reject(new Error('JSL_MED_LLAMA_BINARY=fast is not one of auto, prebuilt, native'))})})
    expect(failed.backend.binary).toBeNull()
    expect(failed.unknowns).toContainEqual({field: 'backend.binary', reason: 'binary probe: JSL_MED_LLAMA_BINARY=fast is not one of auto, prebuilt, native'})
  })

  it('reports a GPU llama.cpp uses, with VRAM, merged with systeminformation facts', async () => {
    const drivers = {...NO_DRIVERS, nvidiaDriver: '550.54.14', cudaRuntime: true, gpuDeviceNodes: true, libraries: ['libcuda.so.1', 'libcudart.so.12', 'libnvidia-ml.so.1']}
    const profile = await detectHardware({
      probes: fakeProbes({
        drivers: async () => drivers,
        graphics: async () => [
          {vendor: 'NVIDIA Corporation', model: 'NVIDIA GeForce RTX 4060', vramTotalBytes: 8 * 1024 ** 3, vramFreeBytes: null},
          {vendor: 'Intel Corporation', model: 'UHD Graphics 770', vramTotalBytes: null, vramFreeBytes: null},
        ],
        backend: async () =>
          backendProbe({gpu: 'cuda', loaded: true, supportedGpuTypes: ['cuda', false], gpuNames: ['NVIDIA GeForce RTX 4060'], vram: {totalBytes: 8e9, freeBytes: 7e9, unifiedBytes: 0}}),
      }),
    })
    expect(profile.backend).toMatchObject({name: 'cuda', vramTotalBytes: 8e9, vramFreeBytes: 7e9, checkedBy: 'llama.cpp', reason: {code: 'GPU_BACKEND', message: 'llama.cpp uses CUDA on NVIDIA GeForce RTX 4060'}})
    expect(profile.gpus).toEqual([
      {name: 'NVIDIA GeForce RTX 4060', vendor: 'NVIDIA', vramTotalBytes: 8e9, vramFreeBytes: 7e9, backend: 'cuda', source: 'llama.cpp'},
      {name: 'UHD Graphics 770', vendor: 'Intel', vramTotalBytes: null, vramFreeBytes: null, backend: null, source: 'systeminformation'},
    ])
  })

  it('explains an NVIDIA driver without the CUDA runtime', async () => {
    const profile = await detectHardware({
      probes: fakeProbes({
        drivers: async () => ({...NO_DRIVERS, nvidiaDriver: '550.54.14', gpuDeviceNodes: true, libraries: ['libcuda.so.1', 'libnvidia-ml.so.1']}),
        graphics: async () => [{vendor: 'NVIDIA', model: 'NVIDIA GeForce RTX 3060', vramTotalBytes: 12 * 1024 ** 3, vramFreeBytes: 11 * 1024 ** 3}],
      }),
    })
    expect(profile.backend.name).toBe('cpu')
    expect(profile.backend.checkedBy).toBe('node-llama-cpp-check')
    expect(profile.backend.reason.code).toBe('CUDA_RUNTIME_MISSING')
    expect(profile.backend.reason.message).toMatch(/NVIDIA driver 550\.54\.14 found, but not the CUDA runtime .*install the CUDA 12 or 13 runtime/)
    expect(profile.gpus).toEqual([expect.objectContaining({name: 'NVIDIA GeForce RTX 3060', backend: null, vramTotalBytes: 12 * 1024 ** 3})])
  })

  it("explains a GPU binary that did not load, with node-llama-cpp's message", async () => {
    const profile = await detectHardware({
      probes: fakeProbes({
        drivers: async () => ({...NO_DRIVERS, nvidiaDriver: '550.54.14', cudaRuntime: true, libraries: ['libcublas.so.12', 'libcudart.so.12', 'libnvidia-ml.so.1']}),
        backend: async () =>
          backendProbe({
            loaded: true,
            supportedGpuTypes: ['cuda', false],
            messages: ['The prebuilt binary for platform "linux" "x64" with CUDA support is not compatible with the current system, falling back to using no GPU'],
          }),
      }),
    })
    expect(profile.backend.reason.code).toBe('GPU_BINARY_FAILED')
    expect(profile.backend.reason.message).toContain('with CUDA support is not compatible')
    expect(profile.gpus).toEqual([expect.objectContaining({name: 'NVIDIA GPU (model unknown)', source: 'driver'})])
  })

  it('turns failing probes into unknowns with reasons and falls back to what Node knows', async () => {
    const fail = async (): Promise<never> => {
      throw new Error('boom')
    }

    const profile = await detectHardware({
      probes: fakeProbes({cpu: fail, memory: fail, os: fail, bandwidth: fail, drivers: fail, backend: fail}),
    })
    expect(profile.cpu.physicalCores).toBeGreaterThan(0)
    expect(profile.memory.totalBytes).toBeGreaterThan(0)
    expect(profile.memory.bandwidthSource).toBe('assumed')
    expect(profile.backend).toMatchObject({name: 'unknown', checkedBy: 'none', reason: {code: 'PROBE_FAILED'}})
    expect(profile.unknowns.map((item) => item.field)).toEqual(
      expect.arrayContaining(['cpu', 'memory', 'os', 'cpu.physicalCores', 'backend', 'drivers', 'memory.bandwidthBytesPerSecond']),
    )
    for (const item of profile.unknowns) expect(item.reason).toMatch(/\S/)
    expect(profile.unknowns.find((item) => item.field === 'cpu')?.reason).toBe("cpu probe: boom; using Node's figures")
  })

  it('bounds every probe in time: a probe that hangs becomes unknown', async () => {
    const hang = (): Promise<never> => new Promise(() => {})
    const started = performance.now()
    const profile = await detectHardware({
      probes: fakeProbes({cpu: hang, drivers: async () => ({...NO_DRIVERS, gpuDeviceNodes: true}), graphics: hang, backend: hang}),
      timeoutsMs: {cpu: 50, graphics: 50, backend: 50},
    })
    expect(performance.now() - started).toBeLessThan(2000)
    expect(profile.unknowns).toEqual(
      expect.arrayContaining([
        {field: 'cpu', reason: "cpu probe: timed out after 50 ms; using Node's figures"},
        {field: 'gpus', reason: expect.stringContaining('graphics probe: timed out after 50 ms')},
        {field: 'backend', reason: 'backend probe: timed out after 50 ms'},
      ]),
    )
    expect(profile.backend.reason.code).toBe('PROBE_FAILED')
  })

  it('treats Apple silicon as unified memory', async () => {
    const profile = await detectHardware({
      probes: fakeProbes({
        os: async () => ({platform: 'darwin', arch: 'arm64', distro: 'macOS 14', release: '23.5.0'}),
        cpu: async () => ({model: 'Apple M2', vendor: 'Apple', physicalCores: 8, logicalCores: 8, flags: ''}),
        drivers: async () => ({...NO_DRIVERS, checked: false}),
        backend: async () => backendProbe({gpu: 'metal', loaded: true, supportedGpuTypes: ['metal'], gpuNames: ['Apple M2'], vram: {totalBytes: 16e9, freeBytes: 16e9, unifiedBytes: 16e9}}),
      }),
    })
    expect(profile.memory.unified).toBe(true)
    expect(profile.cpu.simd).toEqual(['NEON'])
    expect(profile.gpus).toEqual([expect.objectContaining({name: 'Apple M2', vendor: 'Apple', backend: 'metal'})])
  })
})

describe('SIMD and vendor parsing', () => {
  it('reads x86 and ARM flags, and llama.cpp feature lines', () => {
    expect(parseSimd('fpu avx avx2 avx512f avx512_vnni fma f16c', 'x64')).toEqual(['AVX', 'AVX2', 'AVX-512', 'AVX512-VNNI', 'FMA', 'F16C'])
    expect(parseSimd('fp asimd evtstrm asimddp i8mm sve', 'arm64')).toEqual(['NEON', 'DOTPROD', 'I8MM', 'SVE'])
    expect(parseSimd('FPU AVX1.0 AVX2', 'x64')).toEqual(['AVX', 'AVX2'])
    expect(parseSimd('', 'x64', 'CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 0 | LLAMAFILE = 1 |')).toEqual(['SSE3', 'AVX', 'AVX2'])
  })

  it('guesses the vendor from a GPU name', () => {
    expect(['NVIDIA GeForce RTX 4090', 'AMD Radeon RX 7900 XTX', 'Intel Arc A770', 'Apple M3 Pro', 'VideoCore VII'].map(vendorOf)).toEqual(['NVIDIA', 'AMD', 'Intel', 'Apple', null])
  })
})

describe('probes of this machine', () => {
  it('scans for GPU drivers and libraries (Linux) without failing', async () => {
    const drivers = await detectDrivers()
    expect(drivers.checked).toBe(platform() === 'linux')
    for (const name of drivers.libraries) expect(name).toMatch(/^lib(cuda|cudart|cublas|cublasLt|nvidia-ml|vulkan)\.so/)
  })

  it('measures memory bandwidth on a worker thread', async () => {
    const bytesPerSecond = await measureBandwidth(5000)
    expect(bytesPerSecond).toBeGreaterThan(1e8)
  })

  it('keeps detectPhysicalCores working for the engine', async () => {
    expect(await detectPhysicalCores()).toBeGreaterThanOrEqual(1)
  })
})
