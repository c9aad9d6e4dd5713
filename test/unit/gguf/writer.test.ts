import {mkdtemp, readFile, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {readGgufFileInfo} from 'node-llama-cpp'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {writeGguf, type GgufTensor, type GgufValue} from '../../../src/lib/gguf/writer.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gguf-writer-'))
})
afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('writeGguf', () => {
  it('writes every GGUF value type and aligned, padded tensor data', async () => {
    const path = join(dir, 'nested', 'types.gguf')
    const metadata: [string, GgufValue][] = [
      ['general.architecture', {type: 'string', value: 'llama'}],
      ['t.u8', {type: 'u8', value: 200}],
      ['t.i8', {type: 'i8', value: -100}],
      ['t.u16', {type: 'u16', value: 60000}],
      ['t.i16', {type: 'i16', value: -30000}],
      ['t.u32', {type: 'u32', value: 4e9}],
      ['t.i32', {type: 'i32', value: -2e9}],
      ['t.f32', {type: 'f32', value: 0.5}],
      ['t.bool', {type: 'bool', value: true}],
      ['t.str', {type: 'string', value: 'héllo ✓'}],
      ['t.u64', {type: 'u64', value: 2n ** 63n}],
      ['t.i64', {type: 'i64', value: -(2n ** 40n)}],
      ['t.f64', {type: 'f64', value: Math.PI}],
      ['t.strs', {type: 'array', itemType: 'string', values: ['a', '', 'Ġb']}],
      ['t.ints', {type: 'array', itemType: 'i32', values: [1, -2, 3]}],
      ['t.empty', {type: 'array', itemType: 'string', values: []}],
    ]
    // Tensor data may arrive in chunks of any size; 'a' needs 20 bytes of padding, 'b' 12.
    const fill = (length: number, value: number) => new Uint8Array(length).fill(value)
    const tensors: GgufTensor[] = [
      {name: 'a', dims: [3], type: 'F32', chunks: () => [fill(12, 1)]},
      {name: 'b', dims: [5, 2], type: 'F16', chunks: () => [fill(8, 2), fill(12, 3)]},
    ]
    const progress: number[] = []
    const onProgress = (written: number, total: number) => progress.push(written, total)
    const size = await writeGguf(path, {metadata, tensors, onProgress})
    expect((await stat(path)).size).toBe(size)
    expect(progress.at(-2)).toBe(size)
    expect(progress.at(-1)).toBe(size)

    const info = await readGgufFileInfo(path, {readTensorInfo: true, logWarnings: false})
    expect(info.version).toBe(3)
    const t = (info.metadata as unknown as {t: Record<string, unknown>}).t
    const values = metadata.slice(1).map(([key, v]) => [key.slice(2), 'value' in v ? v.value : v.values])
    expect(t).toEqual(Object.fromEntries(values))
    const [a, b] = info.tensorInfo!
    expect([a.name, a.dimensions, a.ggmlType, a.offset]).toEqual(['a', [3], 0, 0])
    expect([b.name, b.dimensions, b.ggmlType, b.offset]).toEqual(['b', [5, 2], 1, 32])
    expect(Number(a.fileOffset) % 32).toBe(0)
    const bytes = await readFile(path)
    expect([...bytes.subarray(Number(a.fileOffset), Number(a.fileOffset) + 32)]).toEqual([
      ...new Array(12).fill(1),
      ...new Array(20).fill(0),
    ])
    const tail = bytes.subarray(Number(b.fileOffset)).toString('hex')
    expect(tail).toBe('02'.repeat(8) + '03'.repeat(12) + '00'.repeat(12))
  })

  it('leaves neither the file nor its .tmp behind when a tensor fails', async () => {
    const path = join(dir, 'broken.gguf')
    const tensors = [{name: 'x', dims: [2], type: 'F32' as const, chunks: () => [new Uint8Array(4)]}]
    await expect(writeGguf(path, {metadata: [], tensors})).rejects.toThrow(/data is 4 bytes, expected 8/)
    await expect(stat(path)).rejects.toThrow()
    await expect(stat(path + '.tmp')).rejects.toThrow()
  })
})
