import {availableQuants, type CatalogModel, type Quant} from '../catalog/index.js'
import type {GpuBackend, HardwareProfile} from '../hardware/index.js'
import {estimateMemory, ramPaddingBytes, vramPaddingBytes, type RawEstimate} from './estimate.js'
import type {MemoryEstimate, Reason, RecommendOptions, Recommendation} from './types.js'

/** The context size `hw` plans for unless told otherwise (capped at the model's training context). */
export const DEFAULT_CONTEXT_SIZE = 8192

/** The smallest context a defaulted context size is reduced to before giving up. */
export const MIN_CONTEXT_SIZE = 2048

/** CPU generation speed (tokens/s) worth trading quality for: a larger quant is preferred only while it reaches this. */
export const DEFAULT_TARGET_TOKENS_PER_SECOND = 5

const GPU_BACKENDS = new Set<string>(['cuda', 'metal', 'vulkan'])

/** Where one quantization at one context size would run. */
interface Plan {
  quant: Quant
  contextSize: number
  raw: RawEstimate
  gpuLayers: number
  totalLayers: number
  gpuBytes: number
  cpuBytes: number
  fullyOnGpu: boolean
  fits: boolean
  tokensPerSecond: number | null
}

interface Budget {
  backend: GpuBackend | null
  /** VRAM usable for the model, after node-llama-cpp's padding (the shared budget on unified memory). */
  vramBytes: number
  /** RAM usable for the model, after node-llama-cpp's padding. */
  ramBytes: number
  unified: boolean
  bandwidthBytesPerSecond: number
}

/**
 * Recommends how to run a model on a machine: the quantization, GPU layers, context size and threads, with
 * the memory estimate (weights + KV cache + compute buffers) and the reasons as data.
 *
 * With a usable GPU it takes the highest quantization that fits entirely in VRAM, else the smallest one with as
 * many layers offloaded as fit. On the CPU every token reads all weights, so speed is memory bandwidth / weight
 * bytes: it takes the highest quantization that fits in RAM and still reaches the target speed, else the fastest
 * that fits. Threads are the physical cores. Pure: reads nothing but its arguments.
 */
export function recommend(profile: HardwareProfile, model: CatalogModel, options: RecommendOptions = {}): Recommendation {
  const reasons: Reason[] = []
  const budget = budgetOf(profile)
  const target = options.targetTokensPerSecond ?? DEFAULT_TARGET_TOKENS_PER_SECOND
  const quants = options.gguf ? availableQuants(model).slice(0, 1) : availableQuants(model)
  if (quants.length === 0) throw new Error(`catalog model ${model.id} has no variants`)

  const requested = options.contextSize ?? DEFAULT_CONTEXT_SIZE
  const contextSize = Math.min(requested, model.contextLength)
  if (options.contextSize !== undefined && options.contextSize > model.contextLength) {
    reasons.push({code: 'CONTEXT_CAPPED', requested: options.contextSize, max: model.contextLength})
  }

  const candidates = options.contextSize === undefined ? contextCandidates(contextSize) : [contextSize]
  let chosen: {plan: Plan; reasons: Reason[]} | undefined
  for (const candidate of candidates) {
    const plans = [...quants].reverse().map((quant) => planFor(model, quant, candidate, budget, options))
    chosen = budget.backend ? chooseOnGpu(plans, budget) : chooseOnCpu(plans, budget, target, profile)
    if (chosen) {
      if (candidate < contextSize) reasons.push({code: 'CONTEXT_REDUCED', from: contextSize, to: candidate})
      break
    }
  }

  if (!chosen) {
    const smallest = planFor(model, quants[0], candidates.at(-1)!, budget, options)
    const availableBytes = budget.backend && !budget.unified ? budget.vramBytes + budget.ramBytes : budget.ramBytes
    chosen = {
      plan: {...smallest, gpuLayers: 0, gpuBytes: 0, cpuBytes: smallest.raw.totalBytes},
      reasons: [
        {code: 'DOES_NOT_FIT', quant: smallest.quant, estimateBytes: smallest.raw.totalBytes, availableBytes, contextSize: smallest.contextSize},
      ],
    }
  }

  reasons.unshift(...chosen.reasons)
  reasons.push(...notes(profile, model, quants, chosen.plan, options))
  const {plan} = chosen
  const measured = options.measurements?.[plan.quant] ?? null
  if (measured) {
    reasons.splice(chosen.reasons.length, 0, {
      code: 'MEASURED',
      quant: plan.quant,
      tgTokensPerSecond: measured.speed ? round1(measured.speed.tg.tokensPerSecond) : null,
      kldMean: measured.quality?.kld.mean ?? null,
      top1Rate: measured.quality?.top1.rate ?? null,
    })
  }

  const estimate: MemoryEstimate = {
    weightsBytes: plan.raw.weightsBytes,
    kvCacheBytes: plan.raw.kvCacheBytes,
    computeBytes: plan.raw.computeBytes,
    totalBytes: plan.raw.totalBytes,
    gpuBytes: plan.gpuBytes,
    cpuBytes: plan.cpuBytes,
    projectorBytes: model.mmproj ? (model.mmproj.sizeBytes ?? null) : null,
    source: plan.raw.source,
  }
  return {
    quant: plan.quant,
    gpuLayers: plan.gpuLayers,
    totalLayers: plan.totalLayers,
    contextSize: plan.contextSize,
    threads: profile.cpu.physicalCores,
    estimate,
    tokensPerSecond: plan.gpuLayers === 0 && plan.tokensPerSecond !== null ? round1(plan.tokensPerSecond) : null,
    source: measured ? 'measured' : 'estimated',
    measured,
    fits: plan.fits,
    reasons,
  }
}

function budgetOf(profile: HardwareProfile): Budget {
  const ramBytes = Math.max(0, profile.memory.availableBytes - ramPaddingBytes(profile.memory.totalBytes, profile.os.platform))
  const backend = GPU_BACKENDS.has(profile.backend.name) ? (profile.backend.name as GpuBackend) : null
  const vramFree = profile.backend.vramFreeBytes ?? 0
  let vramBytes = backend ? Math.max(0, vramFree - vramPaddingBytes(profile.backend.vramTotalBytes ?? vramFree)) : 0
  // On unified memory the GPU allocates from the same RAM: the tighter of the two limits applies.
  if (profile.memory.unified) vramBytes = Math.min(vramBytes, ramBytes)
  return {
    backend: backend && vramBytes > 0 ? backend : null,
    vramBytes,
    ramBytes,
    unified: profile.memory.unified,
    bandwidthBytesPerSecond: profile.memory.bandwidthBytesPerSecond ?? ASSUMED_BANDWIDTH,
  }
}

// Used only for a profile without a bandwidth figure (detectHardware always fills one in).
const ASSUMED_BANDWIDTH = 10e9

function contextCandidates(contextSize: number): number[] {
  const sizes = [contextSize]
  for (let size = Math.floor(contextSize / 2); size >= MIN_CONTEXT_SIZE; size = Math.floor(size / 2)) sizes.push(size)
  return sizes
}

function planFor(model: CatalogModel, quant: Quant, contextSize: number, budget: Budget, options: RecommendOptions): Plan {
  const raw = estimateMemory(model, quant, contextSize, options.gguf)
  const layers = (model.architecture?.layers ?? 0) || Math.max(1, Math.round(raw.weightsBytes / 1e8))
  const totalLayers = layers + 1
  const base = {quant, contextSize, raw, totalLayers, tokensPerSecond: budget.bandwidthBytesPerSecond / raw.weightsBytes}
  if (!budget.backend) {
    const fits = raw.totalBytes <= budget.ramBytes
    return {...base, gpuLayers: 0, gpuBytes: 0, cpuBytes: raw.totalBytes, fullyOnGpu: false, fits}
  }

  if (raw.totalBytes <= budget.vramBytes) {
    return {...base, gpuLayers: totalLayers, gpuBytes: raw.totalBytes, cpuBytes: 0, fullyOnGpu: true, fits: true}
  }

  if (budget.unified) {
    // Splitting layers between "GPU" and "CPU" frees nothing when both draw on the same memory.
    return {...base, gpuLayers: 0, gpuBytes: 0, cpuBytes: raw.totalBytes, fullyOnGpu: false, fits: false}
  }

  // Partial offload: whole blocks (their weights and KV cache) go to VRAM next to a GPU compute buffer;
  // the output layer stays on the CPU with the remaining blocks and a CPU compute buffer.
  const perLayerBytes = raw.weightsBytes / totalLayers + raw.kvCacheBytes / layers
  const gpuLayers = Math.max(0, Math.min(layers, Math.floor((budget.vramBytes - raw.computeBytes) / perLayerBytes)))
  const gpuBytes = gpuLayers > 0 ? Math.round(gpuLayers * perLayerBytes + raw.computeBytes) : 0
  const cpuBytes = Math.round(raw.totalBytes - gpuLayers * perLayerBytes)
  return {...base, gpuLayers, gpuBytes, cpuBytes, fullyOnGpu: false, fits: cpuBytes <= budget.ramBytes}
}

/** Plans are ordered from the largest quantization to the smallest. */
function chooseOnGpu(plans: Plan[], budget: Budget): {plan: Plan; reasons: Reason[]} | undefined {
  const backend = budget.backend!
  const full = plans.findIndex((plan) => plan.fullyOnGpu)
  if (full >= 0) {
    const plan = plans[full]
    const reasons: Reason[] = [
      {
        code: 'FITS_GPU',
        quant: plan.quant,
        backend,
        estimateBytes: plan.raw.totalBytes,
        vramBytes: budget.vramBytes,
        contextSize: plan.contextSize,
      },
    ]
    if (full > 0) reasons.push(spillReason(plans[full - 1]))
    if (budget.unified) reasons.push({code: 'UNIFIED_MEMORY', budgetBytes: budget.vramBytes})
    return {plan, reasons}
  }

  const fitting = plans.filter((plan) => plan.fits)
  if (fitting.length === 0) return undefined
  // Nothing fits whole: the smallest file leaves the most layers on the GPU, which is what sets the speed.
  const plan = fitting.at(-1)!
  const reasons: Reason[] = [
    {
      code: 'PARTIAL_OFFLOAD',
      quant: plan.quant,
      gpuLayers: plan.gpuLayers,
      totalLayers: plan.totalLayers,
      estimateBytes: plan.raw.totalBytes,
      vramBytes: budget.vramBytes,
      contextSize: plan.contextSize,
    },
  ]
  const larger = plans[plans.indexOf(plan) - 1]
  if (larger) reasons.push(spillReason(larger))
  return {plan, reasons}
}

function spillReason(plan: Plan): Reason {
  return {code: 'WOULD_SPILL', quant: plan.quant, spillLayers: plan.totalLayers - plan.gpuLayers, estimateBytes: plan.raw.totalBytes}
}

function chooseOnCpu(plans: Plan[], budget: Budget, target: number, profile: HardwareProfile): {plan: Plan; reasons: Reason[]} | undefined {
  const fitting = plans.filter((plan) => plan.fits)
  if (fitting.length === 0) return undefined
  const plan = fitting.find((candidate) => candidate.tokensPerSecond! >= target) ?? fitting.at(-1)!
  const reasons: Reason[] = [
    {
      code: 'FITS_RAM',
      quant: plan.quant,
      estimateBytes: plan.raw.totalBytes,
      ramBytes: budget.ramBytes,
      contextSize: plan.contextSize,
      backendReason: profile.backend.reason.code,
    },
    {
      code: 'CPU_SPEED',
      quant: plan.quant,
      tokensPerSecond: round1(plan.tokensPerSecond!),
      bandwidthBytesPerSecond: budget.bandwidthBytesPerSecond,
      targetTokensPerSecond: target,
    },
  ]
  const larger = plans[plans.indexOf(plan) - 1]
  if (larger) {
    reasons.push(
      larger.fits
        ? {code: 'SLOWER_QUANT', quant: larger.quant, tokensPerSecond: round1(larger.tokensPerSecond!)}
        : {code: 'TOO_BIG', quant: larger.quant, estimateBytes: larger.raw.totalBytes, availableBytes: budget.ramBytes},
    )
  }

  if (profile.memory.bandwidthSource !== 'measured') {
    reasons.push({code: 'BANDWIDTH_ASSUMED', bandwidthBytesPerSecond: budget.bandwidthBytesPerSecond})
  }

  return {plan, reasons}
}

function notes(profile: HardwareProfile, model: CatalogModel, quants: Quant[], plan: Plan, options: RecommendOptions): Reason[] {
  const {physicalCores, logicalCores} = profile.cpu
  const reasons: Reason[] = [{code: 'THREADS_PHYSICAL', threads: physicalCores, physicalCores, logicalCores}]
  if (options.gguf) reasons.push({code: 'GGUF_EXACT', path: options.gguf.path})
  else {
    const missing = (['q4', 'q8', 'q16'] as const).filter((quant) => !quants.includes(quant))
    if (missing.length > 0) reasons.push({code: 'QUANT_UNAVAILABLE', quants: missing})
    if (plan.raw.source === 'parameters') reasons.push({code: 'SIZE_ESTIMATED', parameters: model.parameters})
  }

  if (!model.architecture && !options.gguf) reasons.push({code: 'ARCHITECTURE_ASSUMED'})
  if (model.userSupplied) reasons.push({code: 'USER_SUPPLIED', note: model.userSupplied.note})
  return reasons
}

function round1(value: number): number {
  return Math.round(value * 10) / 10
}
