import {open, mkdtemp, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {readGgufHeader, SHAPES, synthesizeLora, validateGgufFile} from '../../../src/lib/gguf/index.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gguf-lora-'))
})
afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('synthesizeLora', () => {
  it("writes llama.cpp's adapter form: adapter metadata and a [in, rank] A and [rank, out] B per adapted weight", async () => {
    const path = join(dir, 'lora.gguf')
    const result = await synthesizeLora({path, shape: SHAPES.tiny, rank: 2, alpha: 8, targets: ['attn_q', 'ffn_down']})
    await validateGgufFile(path)
    const handle = await open(path, 'r')
    const header = await readGgufHeader(handle, (await stat(path)).size).finally(() => handle.close())
    expect(header.metadata.get('general.type')).toBe('adapter')
    expect(header.metadata.get('general.architecture')).toBe('llama')
    expect(header.metadata.get('adapter.type')).toBe('lora')
    expect(header.metadata.get('adapter.lora.alpha')).toBe(8)
    const {embeddingLength: embd, feedForwardLength: ff, blockCount} = SHAPES.tiny
    expect(result.tensorCount).toBe(blockCount * 4)
    const dims = Object.fromEntries(header.tensors.map((tensor) => [tensor.name, tensor.dimensions.map(Number)]))
    expect(dims['blk.0.attn_q.weight.lora_a']).toEqual([embd, 2])
    expect(dims['blk.0.attn_q.weight.lora_b']).toEqual([2, embd])
    expect(dims['blk.1.ffn_down.weight.lora_a']).toEqual([ff, 2])
    expect(dims['blk.1.ffn_down.weight.lora_b']).toEqual([2, embd])
    expect(Object.keys(dims)).toHaveLength(result.tensorCount)
  })

  it('refuses a rank below 1 and targets the model does not have', async () => {
    await expect(synthesizeLora({path: join(dir, 'x.gguf'), shape: SHAPES.tiny, rank: 0})).rejects.toThrow(/rank/)
    await expect(synthesizeLora({path: join(dir, 'y.gguf'), shape: SHAPES.tiny, targets: ['nope']})).rejects.toThrow(/targets/)
  })
})
