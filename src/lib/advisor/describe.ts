import type {BackendReasonCode} from '../hardware/index.js'
import {formatBytes, formatTokens} from '../format/index.js'
import type {Reason, Recommendation} from './types.js'

/** Tokens per second: one decimal below 100. */
function formatSpeed(tokensPerSecond: number): string {
  return tokensPerSecond < 100 ? String(Math.round(tokensPerSecond * 10) / 10) : String(Math.round(tokensPerSecond))
}

/**
 * A KL divergence in nats at three significant digits of `scale` (default: itself), so that an interval's ends
 * print with the decimals of its mean: KLDs of quantizations are often far below 0.01.
 */
export function formatKld(nats: number, scale = nats): string {
  const magnitude = Math.abs(scale) > 0 ? Math.floor(Math.log10(Math.abs(scale))) : 0
  return nats.toFixed(Math.min(12, Math.max(0, 2 - magnitude)))
}

/** The display names of the GPU backends. */
export const BACKEND_NAMES: Record<string, string> = {cuda: 'CUDA', metal: 'Metal', vulkan: 'Vulkan'}

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
      return `${reason.quant} fits fully in ${formatBytes(reason.vramBytes, 'binary')} of usable VRAM (${BACKEND_NAMES[reason.backend]}) at ${formatTokens(reason.contextSize)} context: est. ${formatBytes(reason.estimateBytes, 'binary')}`
    case 'PARTIAL_OFFLOAD':
      return `${reason.quant} (est. ${formatBytes(reason.estimateBytes, 'binary')}) does not fit in ${formatBytes(reason.vramBytes, 'binary')} of usable VRAM at ${formatTokens(reason.contextSize)} context: ${reason.gpuLayers}/${reason.totalLayers} layers on the GPU, the rest on the CPU`
    case 'FITS_RAM':
      return `CPU only${WHY_CPU[reason.backendReason] ? ` (${WHY_CPU[reason.backendReason]})` : ''}: ${reason.quant} est. ${formatBytes(reason.estimateBytes, 'binary')} fits in ${formatBytes(reason.ramBytes, 'binary')} of usable RAM at ${formatTokens(reason.contextSize)} context`
    case 'CPU_SPEED':
      return `~${formatSpeed(reason.tokensPerSecond)} tok/s (every token reads the weights at ${(reason.bandwidthBytesPerSecond / 1e9).toFixed(0)} GB/s)`
    case 'UNIFIED_MEMORY':
      return `GPU and CPU share ${formatBytes(reason.budgetBytes, 'binary')} of usable unified memory`
    case 'WOULD_SPILL':
      return `${reason.quant} would spill ${reason.spillLayers} ${reason.spillLayers === 1 ? 'layer' : 'layers'} to the CPU (est. ${formatBytes(reason.estimateBytes, 'binary')})`
    case 'SLOWER_QUANT':
      return `${reason.quant} would run at ~${formatSpeed(reason.tokensPerSecond)} tok/s`
    case 'TOO_BIG':
      return `${reason.quant} (est. ${formatBytes(reason.estimateBytes, 'binary')}) does not fit in ${formatBytes(reason.availableBytes, 'binary')}`
    case 'DOES_NOT_FIT':
      return `does not fit: even ${reason.quant} needs est. ${formatBytes(reason.estimateBytes, 'binary')} at ${formatTokens(reason.contextSize)} context, ${formatBytes(reason.availableBytes, 'binary')} usable`
    case 'CONTEXT_REDUCED':
      return `context reduced from ${formatTokens(reason.from)} to ${formatTokens(reason.to)} to fit`
    case 'CONTEXT_CAPPED':
      return `context capped at the model's ${formatTokens(reason.max)} (asked for ${formatTokens(reason.requested)})`
    case 'THREADS_PHYSICAL':
      return `at most ${reason.threads} ${reason.threads === 1 ? 'thread' : 'threads'} = physical cores (${reason.logicalCores} logical); each run uses the cores other processes leave free, since more threads than free cores makes llama.cpp's thread pool spin and generation far slower`
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
    case 'MEASURED':
      return `measured here by jsl-med bench: ${[
        reason.tgTokensPerSecond === null ? undefined : `${formatSpeed(reason.tgTokensPerSecond)} tok/s generation`,
        reason.kldMean === null ? undefined : `KLD ${formatKld(reason.kldMean)} nats`,
        reason.top1Rate === null ? undefined : `top-1 ${(100 * reason.top1Rate).toFixed(1)}%`,
      ]
        .filter(Boolean)
        .join(', ')}`
  }
}

// The codes that explain the choice itself, in the order the one-line summary names them.
const SUMMARY_CODES = new Set<Reason['code']>([
  'FITS_GPU',
  'PARTIAL_OFFLOAD',
  'FITS_RAM',
  'CPU_SPEED',
  'MEASURED',
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

