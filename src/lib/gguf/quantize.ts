/** Tensor element encodings supported by the synthesizer. */
export type TensorType = 'F32' | 'F16' | 'Q8_0' | 'Q4_0'

/** ggml type ids (enum ggml_type) and their storage: `blockSize` elements take `blockBytes` bytes. */
export const TENSOR_TYPES: Record<TensorType, {ggmlType: number; blockSize: number; blockBytes: number}> = {
  F32: {ggmlType: 0, blockSize: 1, blockBytes: 4},
  F16: {ggmlType: 1, blockSize: 1, blockBytes: 2},
  Q4_0: {ggmlType: 2, blockSize: 32, blockBytes: 18},
  Q8_0: {ggmlType: 8, blockSize: 32, blockBytes: 34},
}

/** Bytes taken by `elements` values of `type` (`elements` must be a multiple of the block size). */
export function byteSize(type: TensorType, elements: number): number {
  const {blockSize, blockBytes} = TENSOR_TYPES[type]
  return (elements / blockSize) * blockBytes
}

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/** Converts a number to IEEE half-precision bits, rounding to nearest even like ggml (NaN becomes 0x7e00). */
export function f32ToF16(value: number): number {
  f32[0] = value
  const x = u32[0]
  const sign = (x >>> 16) & 0x8000
  const exp = (x >>> 23) & 0xff
  const mant = x & 0x7fffff
  if (exp === 0xff) return sign | (mant ? 0x7e00 : 0x7c00)
  const e = exp - 112
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    if (e < -10) return sign
    const m = mant | 0x800000
    const shift = 14 - e
    const half = 1 << (shift - 1)
    const rem = m & ((1 << shift) - 1)
    let h = m >>> shift
    if (rem > half || (rem === half && h & 1)) h++
    return sign | h
  }
  let h = (e << 10) | (mant >>> 13)
  const rem = mant & 0x1fff
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++
  return sign | h
}

/** Converts IEEE half-precision bits to a number. */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >>> 10) & 0x1f
  const mant = h & 0x3ff
  if (exp === 0) return sign * mant * 2 ** -24
  if (exp === 0x1f) return mant ? NaN : sign * Infinity
  return sign * (1 + mant / 1024) * 2 ** (exp - 15)
}

/** Encodes `src` as `type` into `dst` (which must hold exactly `byteSize(type, src.length)` bytes). */
export function encode(type: TensorType, src: Float32Array, dst: Uint8Array): void {
  const view = new DataView(dst.buffer, dst.byteOffset, dst.byteLength)
  if (type === 'F32') for (let i = 0; i < src.length; i++) view.setFloat32(i * 4, src[i], true)
  else if (type === 'F16') for (let i = 0; i < src.length; i++) view.setUint16(i * 2, f32ToF16(src[i]), true)
  else if (type === 'Q8_0') quantizeQ8_0(src, view)
  else quantizeQ4_0(src, view)
}

const fround = Math.fround

// Mirrors quantize_row_q8_0_ref: float32 arithmetic, roundf() rounds half away from zero.
function quantizeQ8_0(src: Float32Array, view: DataView): void {
  for (let b = 0, o = 0; b < src.length; b += 32, o += 34) {
    let amax = 0
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(src[b + j]))
    const d = fround(amax / 127)
    const id = d ? fround(1 / d) : 0
    view.setUint16(o, f32ToF16(d), true)
    for (let j = 0; j < 32; j++) {
      const x = fround(src[b + j] * id)
      view.setInt8(o + 2 + j, Math.sign(x) * Math.round(Math.abs(x)))
    }
  }
}

// Mirrors quantize_row_q4_0_ref: d from the signed extreme, nibbles j and j+16 share byte j.
function quantizeQ4_0(src: Float32Array, view: DataView): void {
  for (let b = 0, o = 0; b < src.length; b += 32, o += 18) {
    let amax = 0
    let max = 0
    for (let j = 0; j < 32; j++) {
      const v = src[b + j]
      if (amax < Math.abs(v)) {
        amax = Math.abs(v)
        max = v
      }
    }
    const d = fround(max / -8)
    const id = d ? fround(1 / d) : 0
    view.setUint16(o, f32ToF16(d), true)
    for (let j = 0; j < 16; j++) {
      const lo = Math.min(15, Math.trunc(fround(fround(src[b + j] * id) + 8.5)))
      const hi = Math.min(15, Math.trunc(fround(fround(src[b + j + 16] * id) + 8.5)))
      view.setUint8(o + 2 + j, lo | (hi << 4))
    }
  }
}

/** Decodes `count` values of `type` from `src` (used to verify encodings). */
export function decode(type: TensorType, src: Uint8Array, count: number): Float32Array {
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength)
  const out = new Float32Array(count)
  if (type === 'F32') for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true)
  else if (type === 'F16') for (let i = 0; i < count; i++) out[i] = f16ToF32(view.getUint16(i * 2, true))
  else {
    const q8 = type === 'Q8_0'
    for (let b = 0, o = 0; b < count; b += 32, o += q8 ? 34 : 18) {
      const d = f16ToF32(view.getUint16(o, true))
      for (let j = 0; j < (q8 ? 32 : 16); j++) {
        if (q8) out[b + j] = view.getInt8(o + 2 + j) * d
        else {
          const q = view.getUint8(o + 2 + j)
          out[b + j] = ((q & 15) - 8) * d
          out[b + j + 16] = ((q >> 4) - 8) * d
        }
      }
    }
  }
  return out
}
