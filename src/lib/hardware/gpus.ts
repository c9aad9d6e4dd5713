import type {BackendProbe} from '../engine/index.js'
import type {DriverFacts, GraphicsController} from './probes.js'
import type {GpuBackend, GpuDevice} from './types.js'

/**
 * The GPUs of this machine: first the devices llama.cpp uses (with their backend), then the other controllers
 * systeminformation names, and a placeholder when only the NVIDIA kernel driver shows a card.
 */
export function listGpus(probe: BackendProbe, controllers: GraphicsController[], drivers: DriverFacts): GpuDevice[] {
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
