import type {BackendReasonCode, HardwareProfile} from '../hardware/index.js'
import type {HwResult} from './machine.js'
import type {Reason, Recommendation} from './types.js'

const GIB = 1024 ** 3

/** Bytes as GiB (`5.1 GiB`), or MiB below 1 GiB. */
export function formatBytes(bytes: number): string {
  if (bytes < GIB) return `${Math.round(bytes / 1024 ** 2)} MiB`
  return `${(bytes / GIB).toFixed(1)} GiB`
}

/** Tokens per second: one decimal below 100. */
function formatSpeed(tokensPerSecond: number): string {
  return tokensPerSecond < 100 ? String(Math.round(tokensPerSecond * 10) / 10) : String(Math.round(tokensPerSecond))
}

/** Tokens as `8k` when a multiple of 1024, else the number. */
export function formatTokens(tokens: number): string {
  return tokens % 1024 === 0 ? `${tokens / 1024}k` : String(tokens)
}

const BACKEND: Record<string, string> = {cuda: 'CUDA', metal: 'Metal', vulkan: 'Vulkan'}

// Why a model runs on the CPU, when the machine has something that looks like a GPU.
const WHY_CPU: Partial<Record<BackendReasonCode, string>> = {
  CUDA_RUNTIME_MISSING: 'the GPU needs the CUDA runtime',
  GPU_RUNTIME_MISSING: 'the GPU has no CUDA or Vulkan runtime',
  GPU_BINARY_FAILED: "llama.cpp's GPU binary did not load",
  GPU_NOT_CHECKED: 'GPU not confirmed',
  PROBE_FAILED: 'backend unknown',
  GPU_BACKEND: 'no free VRAM',
}

/** One reason as a phrase, e.g. `q16 would spill 6 layers to the CPU`. */
export function renderReason(reason: Reason): string {
  switch (reason.code) {
    case 'FITS_GPU':
      return `${reason.quant} fits fully in ${formatBytes(reason.vramBytes)} of usable VRAM (${BACKEND[reason.backend]}) at ${formatTokens(reason.contextSize)} context: est. ${formatBytes(reason.estimateBytes)}`
    case 'PARTIAL_OFFLOAD':
      return `${reason.quant} (est. ${formatBytes(reason.estimateBytes)}) does not fit in ${formatBytes(reason.vramBytes)} of usable VRAM at ${formatTokens(reason.contextSize)} context: ${reason.gpuLayers}/${reason.totalLayers} layers on the GPU, the rest on the CPU`
    case 'FITS_RAM':
      return `CPU only${WHY_CPU[reason.backendReason] ? ` (${WHY_CPU[reason.backendReason]})` : ''}: ${reason.quant} est. ${formatBytes(reason.estimateBytes)} fits in ${formatBytes(reason.ramBytes)} of usable RAM at ${formatTokens(reason.contextSize)} context`
    case 'CPU_SPEED':
      return `~${formatSpeed(reason.tokensPerSecond)} tok/s (every token reads the weights at ${(reason.bandwidthBytesPerSecond / 1e9).toFixed(0)} GB/s)`
    case 'UNIFIED_MEMORY':
      return `GPU and CPU share ${formatBytes(reason.budgetBytes)} of usable unified memory`
    case 'WOULD_SPILL':
      return `${reason.quant} would spill ${reason.spillLayers} ${reason.spillLayers === 1 ? 'layer' : 'layers'} to the CPU (est. ${formatBytes(reason.estimateBytes)})`
    case 'SLOWER_QUANT':
      return `${reason.quant} would run at ~${formatSpeed(reason.tokensPerSecond)} tok/s`
    case 'TOO_BIG':
      return `${reason.quant} (est. ${formatBytes(reason.estimateBytes)}) does not fit in ${formatBytes(reason.availableBytes)}`
    case 'DOES_NOT_FIT':
      return `does not fit: even ${reason.quant} needs est. ${formatBytes(reason.estimateBytes)} at ${formatTokens(reason.contextSize)} context, ${formatBytes(reason.availableBytes)} usable`
    case 'CONTEXT_REDUCED':
      return `context reduced from ${formatTokens(reason.from)} to ${formatTokens(reason.to)} to fit`
    case 'CONTEXT_CAPPED':
      return `context capped at the model's ${formatTokens(reason.max)} (asked for ${formatTokens(reason.requested)})`
    case 'THREADS_PHYSICAL':
      return `${reason.threads} ${reason.threads === 1 ? 'thread' : 'threads'} = physical cores (${reason.logicalCores} logical): more threads than cores makes llama.cpp's thread pool spin and generation far slower`
    case 'QUANT_UNAVAILABLE':
      return `not published as ${reason.quants.join(', ')}`
    case 'SIZE_ESTIMATED':
      return `weight size estimated from ${(reason.parameters / 1e9).toFixed(1)}B parameters (no file size known)`
    case 'ARCHITECTURE_ASSUMED':
      return 'KV cache estimated from a typical architecture of this size'
    case 'GGUF_EXACT':
      return `exact sizes from the GGUF header of ${reason.path}`
    case 'BANDWIDTH_ASSUMED':
      return `memory bandwidth assumed (${(reason.bandwidthBytesPerSecond / 1e9).toFixed(0)} GB/s), not measured`
    case 'USER_SUPPLIED':
      return reason.note
  }
}

// The codes that explain the choice itself, in the order the one-line summary names them.
const SUMMARY_CODES = new Set<Reason['code']>([
  'FITS_GPU',
  'PARTIAL_OFFLOAD',
  'FITS_RAM',
  'CPU_SPEED',
  'DOES_NOT_FIT',
  'WOULD_SPILL',
  'SLOWER_QUANT',
  'TOO_BIG',
  'CONTEXT_REDUCED',
  'CONTEXT_CAPPED',
])

/**
 * The one-line reason of a recommendation, e.g. `q8 fits fully in 7.4 GiB of usable VRAM (CUDA) at 8k context:
 * est. 5.1 GiB; q16 would spill 6 layers to the CPU (est. 8.9 GiB)`.
 */
export function summarizeRecommendation(recommendation: Recommendation): string {
  const parts: string[] = []
  for (const reason of recommendation.reasons) {
    if (!SUMMARY_CODES.has(reason.code)) continue
    const text = renderReason(reason)
    // The speed reads as part of the RAM sentence: "…fits in 22 GiB of usable RAM at 8k context, ~6 tok/s (…)".
    if (reason.code === 'CPU_SPEED' && parts.length > 0) parts[parts.length - 1] += `, ${text}`
    else parts.push(text)
  }

  return parts.join('; ')
}

/** The human report of `hw`: the machine, then one row per model with the one-line reason. */
export function renderHwReport(result: HwResult): string {
  const {hardware} = result
  const lines = [...renderMachine(hardware), '']
  const threads = hardware.cpu.physicalCores
  lines.push(
    `Recommendations (context ${formatTokens(result.assumptions.contextSize)} unless noted; ${threads} ${threads === 1 ? 'thread' : 'threads'} = physical cores, since more threads than cores makes llama.cpp's thread pool spin)`,
    '',
  )
  const rows = result.models.map((model) => {
    const r = model.recommendation
    return [
      model.userSupplied ? `${model.id} *` : model.id,
      r.quant,
      `${r.gpuLayers}/${r.totalLayers}`,
      String(r.contextSize),
      String(r.threads),
      formatBytes(r.estimate.totalBytes),
      r.fits ? 'yes' : 'NO',
      model.summary,
    ]
  })
  lines.push(...table(['MODEL', 'QUANT', 'GPU LAYERS', 'CONTEXT', 'THREADS', 'EST. MEMORY', 'FITS', 'WHY'], rows))
  const userSupplied = result.models.filter((model) => model.userSupplied)
  if (userSupplied.length > 0) {
    lines.push('', '* licensed John Snow Labs model, not openly downloadable: import your copy with `jsl-med pull ./FILE.gguf --as ID`')
  }

  const gated = result.models.filter((model) => model.gated && !model.userSupplied)
  if (gated.length > 0) lines.push(`gated on Hugging Face (accept the terms, set HF_TOKEN): ${gated.map((model) => model.id).join(', ')}`)
  if (hardware.unknowns.length > 0) {
    lines.push('', 'Unknown:')
    for (const item of hardware.unknowns) lines.push(`  ${item.field}: ${item.reason}`)
  }

  return lines.join('\n')
}

function renderMachine(hardware: HardwareProfile): string[] {
  const {cpu, memory, os} = hardware
  const bandwidth = memory.bandwidthBytesPerSecond
    ? `, ~${(memory.bandwidthBytesPerSecond / 1e9).toFixed(0)} GB/s ${memory.bandwidthSource === 'measured' ? 'measured copy bandwidth' : 'bandwidth (assumed)'}`
    : ''
  const rows: string[][] = [
    ['CPU', `${cpu.model ?? 'unknown model'} (${os.arch}), ${cpu.physicalCores} physical / ${cpu.logicalCores} logical cores, SIMD: ${cpu.simd.join(' ') || 'none found'}`],
    ['RAM', `${formatBytes(memory.totalBytes)} total, ${formatBytes(memory.availableBytes)} available${bandwidth}${memory.unified ? ', unified with the GPU' : ''}`],
  ]
  if (hardware.gpus.length === 0) rows.push(['GPU', 'none found'])
  for (const gpu of hardware.gpus) {
    const vram = gpu.vramTotalBytes ? `${formatBytes(gpu.vramTotalBytes)} VRAM${gpu.vramFreeBytes === null ? '' : ` (${formatBytes(gpu.vramFreeBytes)} free)`}` : 'VRAM unknown'
    rows.push(['GPU', `${gpu.name}${gpu.vendor ? ` [${gpu.vendor}]` : ''}, ${vram}, ${gpu.backend ? `used by llama.cpp via ${BACKEND[gpu.backend]}` : 'not usable by llama.cpp'}`])
  }

  const {backend} = hardware
  const label = BACKEND[backend.name] ?? backend.name.toUpperCase()
  rows.push(['BACKEND', `${label}: ${backend.reason.message}${backend.llamaCppRelease ? ` (llama.cpp ${backend.llamaCppRelease})` : ''}`])
  rows.push(['OS', `${os.distro ?? os.platform} (${os.platform} ${os.arch}${os.release ? `, ${os.release}` : ''})`])
  const width = Math.max(...rows.map(([key]) => key.length))
  return rows.map(([key, value]) => `${key.padEnd(width)}  ${value}`)
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (column === header.length - 1 ? 0 : row[column].length))))
  const line = (cells: string[]): string => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ').trimEnd()
  return [line(header), ...rows.map(line)]
}
