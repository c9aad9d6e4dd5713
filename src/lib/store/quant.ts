import type {Quant} from './types.js'

// A quant name stands between separators (`-`, `.`, `_`, or the ends): `x-Q4_K_M`, `x.q8_0`, `x_Q4_K_M`, `x-f16`.
const QUANT_TOKEN = /(?<![a-z\d])(?:i?q\d(?:_[a-z\d]+)*|bf16|fp16|f16|f32)(?![a-z\d])/gi

/** The quantization named in a GGUF file name (`Qwen3-1.7B-Q4_K_M.gguf` → `Q4_K_M`), upper-cased; the last one wins. */
export function quantNameOf(fileName: string): string | undefined {
  const base = fileName.split('/').pop()!.replace(/\.gguf$/i, '')
  return [...base.matchAll(QUANT_TOKEN)].at(-1)?.[0].toUpperCase()
}

/** Bits per weight of a quant name: Q4_K_M → 4, Q8_0 → 8, F16/BF16 → 16, F32 → 32. */
export function quantBits(quantName: string): number | undefined {
  const upper = quantName.toUpperCase()
  if (upper === 'F32') return 32
  if (upper === 'F16' || upper === 'BF16' || upper === 'FP16') return 16
  const match = /^I?Q(\d)/.exec(upper)
  return match ? Number(match[1]) : undefined
}

/** The class of a quant name: up to 5 bits → q4, 6–8 → q8, 16 → q16. */
export function quantClassOf(quantName: string | undefined): Quant | undefined {
  const bits = quantName === undefined ? undefined : quantBits(quantName)
  if (bits === undefined) return undefined
  if (bits <= 5) return 'q4'
  if (bits <= 8) return 'q8'
  return bits === 16 ? 'q16' : undefined
}

/** Quant names tried, in order, when a repo is pulled by class rather than by an exact tag. */
export const PREFERRED_QUANT_NAMES: Record<Quant, readonly string[]> = {
  q4: ['Q4_K_M', 'Q4_K_S', 'Q4_0', 'Q4_K_L', 'IQ4_XS', 'IQ4_NL', 'Q4_1', 'Q5_K_M'],
  q8: ['Q8_0', 'Q6_K'],
  q16: ['F16', 'BF16'],
}

/** True for a vision projector file (llama.cpp's convention: `mmproj` in the name). */
export function isMmprojFile(path: string): boolean {
  return /mmproj/i.test(path.split('/').pop()!)
}

/** True for one part of a split GGUF (`-00001-of-00003.gguf`). */
export function isSplitPart(path: string): boolean {
  return /-\d{5}-of-\d{5}\.gguf$/i.test(path)
}
