import {mkdir, open, rename, rm} from 'node:fs/promises'
import {dirname} from 'node:path'
import {byteSize, TENSOR_TYPES, type TensorType} from './quantize.js'

// gguf_type ids and byte widths (strings are length-prefixed, arrays are type 9).
const SCALARS = {
  u8: [0, 1],
  i8: [1, 1],
  u16: [2, 2],
  i16: [3, 2],
  u32: [4, 4],
  i32: [5, 4],
  f32: [6, 4],
  bool: [7, 1],
  string: [8, 0],
  u64: [10, 8],
  i64: [11, 8],
  f64: [12, 8],
} as const
const ARRAY_TYPE_ID = 9

/** GGUF scalar value types. */
export type GgufScalarType = keyof typeof SCALARS
type Scalar = number | bigint | boolean | string

/** A typed GGUF metadata value: a scalar, or an array of scalars of one type. */
export type GgufValue =
  | {type: GgufScalarType; value: Scalar}
  | {type: 'array'; itemType: GgufScalarType; values: readonly Scalar[]}

/** A tensor to write: `dims` are ggml's ne[] (ne[0] first); `chunks` yields exactly its encoded bytes, in order. */
export interface GgufTensor {
  name: string
  dims: readonly number[]
  type: TensorType
  chunks: () => Iterable<Uint8Array>
}

/** Growable little-endian byte buffer for the header. */
class ByteBuilder {
  private buf = Buffer.alloc(1 << 16)
  length = 0

  // Returns the write position; may replace `buf`, so call it before reading `this.buf`.
  private reserve(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n))
      this.buf.copy(next, 0, 0, this.length)
      this.buf = next
    }
    this.length += n
    return this.length - n
  }

  scalar(type: GgufScalarType, v: Scalar): void {
    if (type === 'string') {
      const n = Buffer.byteLength(String(v))
      this.scalar('u64', n)
      const at = this.reserve(n)
      this.buf.write(String(v), at, 'utf8')
      return
    }
    const at = this.reserve(SCALARS[type][1])
    const n = Number(v)
    if (type === 'u8' || type === 'bool') this.buf.writeUInt8(n, at)
    else if (type === 'i8') this.buf.writeInt8(n, at)
    else if (type === 'u16') this.buf.writeUInt16LE(n, at)
    else if (type === 'i16') this.buf.writeInt16LE(n, at)
    else if (type === 'u32') this.buf.writeUInt32LE(n, at)
    else if (type === 'i32') this.buf.writeInt32LE(n, at)
    else if (type === 'f32') this.buf.writeFloatLE(n, at)
    else if (type === 'f64') this.buf.writeDoubleLE(n, at)
    else if (type === 'u64') this.buf.writeBigUInt64LE(BigInt(v), at)
    else this.buf.writeBigInt64LE(BigInt(v), at)
  }

  pad(alignment: number): void {
    this.reserve((alignment - (this.length % alignment)) % alignment)
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.length)
  }
}

/** Total bytes of one tensor's data (without alignment padding). */
export function tensorBytes(tensor: Pick<GgufTensor, 'dims' | 'type'>): number {
  return byteSize(tensor.type, tensor.dims.reduce((a, b) => a * b, 1))
}

/** Options for {@link writeGguf}. */
export interface WriteGgufOptions {
  /** Metadata in file order; a u32 `general.alignment` sets the data alignment, default 32. */
  metadata: ReadonlyArray<readonly [string, GgufValue]>
  /** Tensors in file order. */
  tensors: readonly GgufTensor[]
  /** Called after every write with the bytes written so far and the final file size. */
  onProgress?: (writtenBytes: number, totalBytes: number) => void
}

/**
 * Streams a GGUF v3 file to `path + '.tmp'` and renames it to `path` once complete, so `path` never holds a partial
 * file. Creates parent directories. Returns the file size.
 */
export async function writeGguf(path: string, {metadata, tensors, onProgress}: WriteGgufOptions): Promise<number> {
  const alignEntry = metadata.find(([key]) => key === 'general.alignment')?.[1]
  const alignment = alignEntry?.type === 'u32' ? Number(alignEntry.value) : 32
  const padded = (n: number) => Math.ceil(n / alignment) * alignment

  const header = new ByteBuilder()
  header.scalar('u32', 0x46554747) // 'GGUF'
  header.scalar('u32', 3)
  header.scalar('u64', tensors.length)
  header.scalar('u64', metadata.length)
  for (const [key, value] of metadata) {
    header.scalar('string', key)
    if (value.type === 'array') {
      header.scalar('u32', ARRAY_TYPE_ID)
      header.scalar('u32', SCALARS[value.itemType][0])
      header.scalar('u64', value.values.length)
      for (const v of value.values) header.scalar(value.itemType, v)
    } else {
      header.scalar('u32', SCALARS[value.type][0])
      header.scalar(value.type, value.value)
    }
  }
  let dataBytes = 0
  for (const tensor of tensors) {
    header.scalar('string', tensor.name)
    header.scalar('u32', tensor.dims.length)
    for (const d of tensor.dims) header.scalar('u64', d)
    header.scalar('u32', TENSOR_TYPES[tensor.type].ggmlType)
    header.scalar('u64', dataBytes)
    // Every tensor, the last included, is padded as ggml and gguf-py do: ggml's reader loads the padded total.
    dataBytes += padded(tensorBytes(tensor))
  }
  header.pad(alignment)
  const totalBytes = header.length + dataBytes

  await mkdir(dirname(path), {recursive: true})
  const tmp = `${path}.tmp`
  const file = await open(tmp, 'w')
  try {
    let written = 0
    const write = async (chunk: Uint8Array) => {
      await file.write(chunk, 0, chunk.length, written)
      written += chunk.length
      onProgress?.(written, totalBytes)
    }
    await write(header.bytes())
    for (const tensor of tensors) {
      const expected = tensorBytes(tensor)
      let size = 0
      for (const chunk of tensor.chunks()) {
        size += chunk.length
        if (size > expected) break
        await write(chunk)
      }
      if (size !== expected) {
        throw new Error(`tensor ${tensor.name}: data is ${size < expected ? size : 'over'} bytes, expected ${expected}`)
      }
      if (padded(size) > size) await write(new Uint8Array(padded(size) - size))
    }
    await file.close()
    await rename(tmp, path)
    return written
  } catch (error) {
    await file.close().catch(() => {})
    await rm(tmp, {force: true})
    throw error
  }
}
