import {open, type FileHandle} from 'node:fs/promises'

/** One tensor as the GGUF header declares it. `fileOffset` is absolute (from the start of the file). */
export interface GgufTensorInfo {
  name: string
  dimensions: number[]
  ggmlType: number
  fileOffset: number
}

/** What {@link readGgufHeader} reads: the format version, the metadata (scalars and strings; arrays by length) and the tensors. */
export interface GgufHeader {
  version: number
  metadata: Map<string, bigint | boolean | number | string | {arrayLength: number}>
  tensors: GgufTensorInfo[]
}

/** Thrown for a header that cannot be read: cut short, or with counts and lengths no real file has. */
export class GgufHeaderError extends Error {}

// Byte sizes of the fixed-size GGUF value types, by type id (gguf.h: UINT8 … FLOAT64); 8 is a string, 9 an array.
const SCALAR_BYTES: Record<number, number> = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
const STRING_TYPE = 8
const ARRAY_TYPE = 9
const DEFAULT_ALIGNMENT = 32
const MAX_COUNT = 100_000_000

/**
 * Reads a GGUF (v2, v3) header in JavaScript: metadata and tensor infos, without loading llama.cpp. Arrays (the
 * tokenizer's vocabulary) are skipped and reported by length. Throws {@link GgufHeaderError} when the bytes do not
 * make a header.
 */
export async function readGgufHeader(handle: FileHandle, fileSizeBytes: number): Promise<GgufHeader> {
  const reader = new HeaderReader(handle, fileSizeBytes)
  if ((await reader.bytes(4)).toString('latin1') !== 'GGUF') throw new GgufHeaderError('not a GGUF file')
  const version = await reader.u32()
  if (version < 2 || version > 3) throw new GgufHeaderError(`unsupported GGUF version ${version}`)
  const tensorCount = await reader.count()
  const metadataCount = await reader.count()
  const metadata: GgufHeader['metadata'] = new Map()
  for (let index = 0; index < metadataCount; index++) {
    const key = await reader.string()
    metadata.set(key, await reader.value(await reader.u32()))
  }

  const raw: Array<Omit<GgufTensorInfo, 'fileOffset'> & {offset: number}> = []
  for (let index = 0; index < tensorCount; index++) {
    const name = await reader.string()
    const dimensionCount = await reader.u32()
    if (dimensionCount > 8) throw new GgufHeaderError(`tensor ${index} has ${dimensionCount} dimensions`)
    const dimensions: number[] = []
    for (let d = 0; d < dimensionCount; d++) dimensions.push(Number(await reader.u64()))
    raw.push({name, dimensions, ggmlType: await reader.u32(), offset: Number(await reader.u64())})
  }

  const alignment = Number(metadata.get('general.alignment') ?? DEFAULT_ALIGNMENT) || DEFAULT_ALIGNMENT
  const dataStart = Math.ceil(reader.position / alignment) * alignment
  return {version, metadata, tensors: raw.map(({offset, ...tensor}) => ({...tensor, fileOffset: dataStart + offset}))}
}

/** Sequential little-endian reads over a file, in chunks, so that a multi-megabyte vocabulary is never read at once. */
class HeaderReader {
  position = 0
  private buffer = Buffer.alloc(0)
  private bufferStart = 0

  constructor(private readonly handle: FileHandle, private readonly fileSizeBytes: number) {}

  async bytes(length: number): Promise<Buffer> {
    if (this.position + length > this.fileSizeBytes) throw new GgufHeaderError('the header is cut short')
    const end = this.position + length
    if (end > this.bufferStart + this.buffer.length) {
      const size = Math.min(Math.max(length, 1 << 20), this.fileSizeBytes - this.position)
      this.buffer = Buffer.alloc(size)
      const {bytesRead} = await this.handle.read(this.buffer, 0, size, this.position)
      this.buffer = this.buffer.subarray(0, bytesRead)
      this.bufferStart = this.position
      if (bytesRead < length) throw new GgufHeaderError('the header is cut short')
    }

    const slice = this.buffer.subarray(this.position - this.bufferStart, end - this.bufferStart)
    this.position = end
    return slice
  }

  async u32(): Promise<number> {
    return (await this.bytes(4)).readUInt32LE(0)
  }

  async u64(): Promise<bigint> {
    return (await this.bytes(8)).readBigUInt64LE(0)
  }

  /** A count (of tensors, keys, array items): a u64 no larger than any real file needs. */
  async count(): Promise<number> {
    const value = await this.u64()
    if (value > BigInt(MAX_COUNT)) throw new GgufHeaderError(`a count of ${value} is not plausible`)
    return Number(value)
  }

  async string(): Promise<string> {
    const length = await this.u64()
    if (length > BigInt(this.fileSizeBytes)) throw new GgufHeaderError(`a string of ${length} bytes is longer than the file`)
    return (await this.bytes(Number(length))).toString('utf8')
  }

  async value(type: number): Promise<bigint | boolean | number | string | {arrayLength: number}> {
    if (type === STRING_TYPE) return this.string()
    if (type === ARRAY_TYPE) {
      const itemType = await this.u32()
      const length = await this.count()
      if (itemType === STRING_TYPE || itemType === ARRAY_TYPE) {
        for (let index = 0; index < length; index++) await this.value(itemType)
      } else {
        const size = SCALAR_BYTES[itemType]
        if (size === undefined) throw new GgufHeaderError(`unknown array item type ${itemType}`)
        await this.skip(size * length)
      }

      return {arrayLength: length}
    }

    const size = SCALAR_BYTES[type]
    if (size === undefined) throw new GgufHeaderError(`unknown value type ${type}`)
    const bytes = await this.bytes(size)
    switch (type) {
      case 0: return bytes.readUInt8(0)
      case 1: return bytes.readInt8(0)
      case 2: return bytes.readUInt16LE(0)
      case 3: return bytes.readInt16LE(0)
      case 4: return bytes.readUInt32LE(0)
      case 5: return bytes.readInt32LE(0)
      case 6: return bytes.readFloatLE(0)
      case 7: return bytes.readUInt8(0) !== 0
      case 10: return bytes.readBigUInt64LE(0)
      case 11: return bytes.readBigInt64LE(0)
      default: return bytes.readDoubleLE(0)
    }
  }

  private async skip(length: number): Promise<void> {
    if (this.position + length > this.fileSizeBytes) throw new GgufHeaderError('the header is cut short')
    this.position += length
  }
}

// llama.cpp's llama_ftype (general.file_type), without the MOSTLY_/ALL_ prefix; 33-35 were removed upstream.
const FILE_TYPE_NAMES: Record<number, string> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 7: 'Q8_0', 8: 'Q5_0', 9: 'Q5_1', 10: 'Q2_K', 11: 'Q3_K_S', 12: 'Q3_K_M',
  13: 'Q3_K_L', 14: 'Q4_K_S', 15: 'Q4_K_M', 16: 'Q5_K_S', 17: 'Q5_K_M', 18: 'Q6_K', 19: 'IQ2_XXS', 20: 'IQ2_XS',
  21: 'Q2_K_S', 22: 'IQ3_XS', 23: 'IQ3_XXS', 24: 'IQ1_S', 25: 'IQ4_NL', 26: 'IQ3_S', 27: 'IQ3_M', 28: 'IQ2_S',
  29: 'IQ2_M', 30: 'IQ4_XS', 31: 'IQ1_M', 32: 'BF16', 36: 'TQ1_0', 37: 'TQ2_0',
}

/**
 * The quantization a GGUF file declares (`general.file_type` as llama.cpp names it: `Q4_0`, `F32`, `Q4_K_M`), or
 * undefined when the header has none, names a type this table does not know, or cannot be read.
 */
export async function readGgufQuantName(path: string): Promise<string | undefined> {
  let handle: FileHandle | undefined
  try {
    handle = await open(path, 'r')
    const header = await readGgufHeader(handle, (await handle.stat()).size)
    const fileType = header.metadata.get('general.file_type')
    return typeof fileType === 'number' || typeof fileType === 'bigint' ? FILE_TYPE_NAMES[Number(fileType)] : undefined
  } catch {
    return undefined // the quantization is a label: a file that cannot tell has none, and validation reports why elsewhere
  } finally {
    await handle?.close()
  }
}
