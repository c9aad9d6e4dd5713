import {describe, expect, it} from 'vitest'
import {byteSize, decode, encode, f16ToF32, f32ToF16} from '../../../src/lib/gguf/quantize.js'
import {fillUniform} from '../../../src/lib/gguf/random.js'

describe('f32ToF16', () => {
  it('converts known values', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [0.1, 0x2e66],
      [1 / 3, 0x3555],
      [65504, 0x7bff],
      [65519, 0x7bff],
      [65520, 0x7c00],
      [1e9, 0x7c00],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [NaN, 0x7e00],
      [2 ** -14, 0x0400],
      [2 ** -24, 0x0001],
      [1023 * 2 ** -24, 0x03ff],
      [2 ** -25, 0x0000],
      [1.5 * 2 ** -25, 0x0001],
      [3 * 2 ** -25, 0x0002],
      [1 + 2 ** -11, 0x3c00],
      [1 + 3 * 2 ** -11, 0x3c02],
    ]
    for (const [value, bits] of cases) expect([value, f32ToF16(value)]).toEqual([value, bits])
  })

  it('round trips every non-NaN half through f16ToF32', () => {
    for (let h = 0; h < 0x10000; h++) {
      const value = f16ToF32(h)
      if (Number.isNaN(value)) continue
      if (f32ToF16(value) !== h) expect.fail(`0x${h.toString(16)} -> ${value} -> 0x${f32ToF16(value).toString(16)}`)
    }
    expect(f16ToF32(0x7bff)).toBe(65504)
    expect(f16ToF32(0x0001)).toBe(2 ** -24)
    expect(f16ToF32(0xfc00)).toBe(-Infinity)
  })
})

function roundTrip(type: 'Q8_0' | 'Q4_0', values: Float32Array): {bytes: Uint8Array; decoded: Float32Array} {
  const bytes = new Uint8Array(byteSize(type, values.length))
  encode(type, values, bytes)
  return {bytes, decoded: decode(type, bytes, values.length)}
}

describe('Q8_0', () => {
  it('encodes a known block like quantize_row_q8_0_ref', () => {
    const values = Float32Array.from({length: 32}, (_, j) => j - 16)
    const {bytes, decoded} = roundTrip('Q8_0', values)
    expect(bytes.length).toBe(34)
    expect(bytes[0] | (bytes[1] << 8)).toBe(f32ToF16(16 / 127))
    expect(new Int8Array(bytes.buffer, 2, 32)[0]).toBe(-127)
    expect(new Int8Array(bytes.buffer, 2, 32)[16]).toBe(0)
    // 8 * 127 / 16 = 63.5 rounds away from zero, as roundf does
    expect(new Int8Array(bytes.buffer, 2, 32)[24]).toBe(64)
    for (let j = 0; j < 32; j++) expect(Math.abs(decoded[j] - values[j])).toBeLessThan(0.07)
  })

  it('dequantizes random blocks within half a step', () => {
    const values = new Float32Array(32 * 64)
    fillUniform(values, 7, 0, 0.5)
    const {decoded} = roundTrip('Q8_0', values)
    for (let b = 0; b < values.length; b += 32) {
      const step = Math.max(...values.subarray(b, b + 32).map(Math.abs)) / 127
      for (let j = b; j < b + 32; j++) expect(Math.abs(decoded[j] - values[j])).toBeLessThanOrEqual(step * 0.57)
    }
  })

  it('encodes a zero block as zeros', () => {
    expect([...roundTrip('Q8_0', new Float32Array(32)).bytes]).toEqual(new Array(34).fill(0))
  })
})

describe('Q4_0', () => {
  it('encodes a known block like quantize_row_q4_0_ref', () => {
    // The signed extreme is -16, so d = -16 / -8 = 2 and q = min(15, trunc(x / 2 + 8.5)).
    const values = Float32Array.from({length: 32}, (_, j) => j - 16)
    const {bytes, decoded} = roundTrip('Q4_0', values)
    expect(bytes.length).toBe(18)
    expect(bytes[0] | (bytes[1] << 8)).toBe(f32ToF16(2))
    expect(bytes[2]).toBe(0x80) // element 0 -> q 0 (low nibble), element 16 -> q 8 (high nibble)
    expect(bytes[2 + 15]).toBe((15 << 4) | 8) // element 15 -> q 8, element 31 -> 16 clamped to 15
    for (let j = 0; j < 32; j++) expect(Math.abs(decoded[j] - values[j])).toBeLessThanOrEqual(2)
    expect(decoded[0]).toBe(-16)
  })

  it('dequantizes random blocks within one step', () => {
    const values = new Float32Array(32 * 64)
    fillUniform(values, 9, 0, 0.5)
    const {decoded} = roundTrip('Q4_0', values)
    let sum = 0
    for (let b = 0; b < values.length; b += 32) {
      const step = Math.max(...values.subarray(b, b + 32).map(Math.abs)) / 8
      for (let j = b; j < b + 32; j++) {
        const error = Math.abs(decoded[j] - values[j])
        expect(error).toBeLessThanOrEqual(step * 1.01)
        sum += error / step
      }
    }
    expect(sum / values.length).toBeLessThan(0.3)
  })

  it('encodes a zero block with d = -0 and q = 8, as ggml does (0 / -8 is -0)', () => {
    const {bytes} = roundTrip('Q4_0', new Float32Array(32))
    expect([...bytes]).toEqual([0x00, 0x80, ...new Array(16).fill(0x88)])
  })
})
