const SIMD_ORDER = [
  'SSE3',
  'SSSE3',
  'AVX',
  'AVX2',
  'AVX-VNNI',
  'AVX-512',
  'AVX512-VNNI',
  'AVX512-BF16',
  'FMA',
  'F16C',
  'NEON',
  'DOTPROD',
  'I8MM',
  'SVE',
  'SVE2',
] as const
const CPU_FLAGS: Record<string, (typeof SIMD_ORDER)[number]> = {
  pni: 'SSE3',
  sse3: 'SSE3',
  ssse3: 'SSSE3',
  avx: 'AVX',
  avx1_0: 'AVX',
  avx2: 'AVX2',
  avx_vnni: 'AVX-VNNI',
  avx512f: 'AVX-512',
  avx512_vnni: 'AVX512-VNNI',
  avx512_bf16: 'AVX512-BF16',
  fma: 'FMA',
  f16c: 'F16C',
  asimd: 'NEON',
  neon: 'NEON',
  asimddp: 'DOTPROD',
  i8mm: 'I8MM',
  sve: 'SVE',
  sve2: 'SVE2',
}
const LLAMA_FLAGS: Record<string, (typeof SIMD_ORDER)[number]> = {
  SSE3: 'SSE3',
  SSSE3: 'SSSE3',
  AVX: 'AVX',
  AVX2: 'AVX2',
  AVX_VNNI: 'AVX-VNNI',
  AVX512: 'AVX-512',
  AVX512_VNNI: 'AVX512-VNNI',
  AVX512_BF16: 'AVX512-BF16',
  FMA: 'FMA',
  F16C: 'F16C',
  NEON: 'NEON',
  DOTPROD: 'DOTPROD',
  MATMUL_INT8: 'I8MM',
  SVE: 'SVE',
  SVE2: 'SVE2',
}

/**
 * The SIMD extensions llama.cpp cares about, from the CPU flags (`/proc/cpuinfo`, sysctl) and, when llama.cpp
 * was loaded, its own feature line. 64-bit ARM always has NEON, even when the OS lists no flags (macOS).
 */
export function parseSimd(flags: string, arch: string, llamaSystemInfo?: string): string[] {
  const found = new Set<string>()
  for (const flag of flags.toLowerCase().split(/[\s,]+/)) {
    const name = CPU_FLAGS[flag.replace(/\./g, '_')]
    if (name) found.add(name)
  }

  for (const match of (llamaSystemInfo ?? '').matchAll(/([A-Z0-9_]+) = 1/g)) {
    const name = LLAMA_FLAGS[match[1]]
    if (name) found.add(name)
  }

  if (arch === 'arm64') found.add('NEON')
  return SIMD_ORDER.filter((name) => found.has(name))
}
