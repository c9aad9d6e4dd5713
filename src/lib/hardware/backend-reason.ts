import type {BackendProbe} from '../engine/index.js'
import type {DriverFacts} from './probes.js'
import type {BackendName, BackendReasonCode, GpuBackend, GpuDevice} from './types.js'

const BACKEND_LABEL: Record<GpuBackend, string> = {cuda: 'CUDA', metal: 'Metal', vulkan: 'Vulkan'}

/** Why llama.cpp uses the backend `name` on this machine, and when it is the CPU, what is missing for a GPU. */
export function explainBackend(
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
