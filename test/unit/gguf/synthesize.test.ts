import {mkdtemp, readFile, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {readGgufFileInfo} from 'node-llama-cpp'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {countParameters, parseShape, SHAPES, synthesizeModel, type TensorType} from '../../../src/lib/gguf/index.js'
import {byteSize, decode} from '../../../src/lib/gguf/quantize.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gguf-synth-'))
})
afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

const GGML_TYPES: Record<TensorType, number> = {F32: 0, F16: 1, Q4_0: 2, Q8_0: 8}
const FILE_TYPES: Record<TensorType, number> = {F32: 0, F16: 1, Q4_0: 2, Q8_0: 7}

describe('parseShape', () => {
  it('accepts SHAPES keys', () => {
    expect(parseShape('tiny')).toEqual(SHAPES.tiny)
    expect(parseShape(' 8B ')).toEqual(SHAPES['8b'])
    expect(parseShape('0.5b')).not.toBe(SHAPES['0.5b'])
  })

  it('overrides tiny with key=value pairs', () => {
    expect(parseShape('embd=128, layers=3')).toEqual({...SHAPES.tiny, embeddingLength: 128, blockCount: 3})
    expect(parseShape('embd=64,layers=2,heads=4,kv=2,ff=128,vocab=512,ctx=2048')).toEqual({
      embeddingLength: 64,
      blockCount: 2,
      headCount: 4,
      headCountKv: 2,
      feedForwardLength: 128,
      vocabSize: 512,
      contextLength: 2048,
    })
  })

  it.each([
    ['', /unknown model shape/],
    ['huge', /unknown model shape/],
    ['embd=abc', /invalid shape entry 'embd=abc'/],
    ['embd=0', /embeddingLength must be a positive integer/],
    ['embd=-64', /invalid shape entry/],
    ['foo=1', /invalid shape entry 'foo=1'/],
    ['embd=64,embd=32', /invalid shape entry 'embd=32'/],
    ['embd=64,', /invalid shape entry ''/],
    ['embd=1=2', /invalid shape entry/],
    ['embd=66', /headCount \(4\) times an even head size/],
    ['heads=3', /headCount \(3\)/],
    ['kv=3', /headCountKv \(3\) must divide headCount \(4\)/],
    ['vocab=258', /vocabSize must be at least 259/],
  ])('rejects %j', (spec, message) => {
    expect(() => parseShape(spec)).toThrow(message)
  })
})

describe('SHAPES', () => {
  const named = Object.entries(SHAPES).filter(([key]) => key !== 'tiny')
  it.each(named)('%s has about that many parameters', (key, shape) => {
    expect(Math.abs(countParameters(shape) / (Number.parseFloat(key) * 1e9) - 1)).toBeLessThan(0.1)
  })

  it('keeps tiny small', () => {
    expect(countParameters(SHAPES.tiny)).toBe(139_584)
  })
})

describe.each(['F32', 'F16', 'Q8_0', 'Q4_0'] as const)('synthesizeModel %s', (tensorType) => {
  it('writes a llama GGUF that parses back', async () => {
    const path = join(dir, tensorType, 'model.gguf')
    const progress: [number, number][] = []
    const onProgress = (written: number, total: number) => progress.push([written, total])
    const result = await synthesizeModel({path, shape: SHAPES.tiny, tensorType, onProgress})
    const {size} = await stat(path)
    expect(result).toEqual({path, sizeBytes: size, parameterCount: 139_584, tensorCount: 21, tensorType})
    expect(progress.at(-1)).toEqual([size, size])
    await expect(stat(path + '.tmp')).rejects.toThrow()

    const info = await readGgufFileInfo(path, {readTensorInfo: true, logWarnings: false})
    const {general, llama, tokenizer} = info.metadata as unknown as Record<string, Record<string, unknown>>
    expect(info.version).toBe(3)
    expect(general).toMatchObject({architecture: 'llama', name: 'jsl-med synthetic', alignment: 32})
    expect(general.file_type).toBe(FILE_TYPES[tensorType])
    expect(general.quantization_version).toBe(tensorType.startsWith('Q') ? 2 : undefined)
    expect(llama).toMatchObject({
      context_length: 4096,
      embedding_length: 64,
      block_count: 2,
      feed_forward_length: 128,
      attention: {head_count: 4, head_count_kv: 2},
      rope: {dimension_count: 16, freq_base: 10000},
      vocab_size: 512,
    })
    expect((llama.attention as {layer_norm_rms_epsilon: number}).layer_norm_rms_epsilon).toBeCloseTo(1e-5, 10)
    const ggml = tokenizer.ggml as Record<string, unknown>
    expect(ggml).toMatchObject({model: 'gpt2', pre: 'default', bos_token_id: 509, eos_token_id: 511})
    expect(ggml).toMatchObject({padding_token_id: 509, add_bos_token: false})
    expect((ggml.tokens as string[]).slice(-3)).toEqual(['<|endoftext|>', '<|im_start|>', '<|im_end|>'])
    expect((ggml.token_type as number[]).length).toBe(512)
    expect((ggml.merges as string[]).length).toBe(253)
    expect(tokenizer.chat_template).toContain("{{ '<|im_start|>assistant\\n' }}")

    const tensors = info.tensorInfo!
    expect(tensors.map((t) => t.name).slice(0, 4)).toEqual([
      'token_embd.weight',
      'output_norm.weight',
      'output.weight',
      'blk.0.attn_norm.weight',
    ])
    const byName = new Map(tensors.map((t) => [t.name, t]))
    const expectTensor = (name: string, dimensions: number[], type: TensorType) => {
      const tensor = byName.get(name)
      expect([name, tensor?.dimensions, tensor?.ggmlType]).toEqual([name, dimensions, GGML_TYPES[type]])
    }
    expectTensor('token_embd.weight', [64, 512], tensorType)
    expectTensor('output_norm.weight', [64], 'F32')
    expectTensor('output.weight', [64, 512], tensorType)
    for (const i of [0, 1]) {
      expectTensor(`blk.${i}.attn_norm.weight`, [64], 'F32')
      expectTensor(`blk.${i}.attn_q.weight`, [64, 64], tensorType)
      expectTensor(`blk.${i}.attn_k.weight`, [64, 32], tensorType)
      expectTensor(`blk.${i}.attn_v.weight`, [64, 32], tensorType)
      expectTensor(`blk.${i}.attn_output.weight`, [64, 64], tensorType)
      expectTensor(`blk.${i}.ffn_norm.weight`, [64], 'F32')
      expectTensor(`blk.${i}.ffn_gate.weight`, [64, 128], tensorType)
      expectTensor(`blk.${i}.ffn_up.weight`, [64, 128], tensorType)
      expectTensor(`blk.${i}.ffn_down.weight`, [128, 64], tensorType)
    }
    const elements = tensors.map((t) => t.dimensions.reduce((a: number, b) => a * Number(b), 1))
    expect(elements.reduce((a, b) => a + b)).toBe(countParameters(SHAPES.tiny))
    for (const t of tensors) expect(Number(t.fileOffset) % 32).toBe(0)
    // The last tensor's size is a multiple of 32 here, so its alignment padding adds nothing.
    expect(size).toBe(Number(tensors.at(-1)!.fileOffset) + byteSize(tensorType, elements.at(-1)!))

    // Weights are small zero-mean noise, norms are close to 1.
    const bytes = await readFile(path)
    const values = (name: string, type: TensorType, count: number) => {
      const offset = Number(byName.get(name)!.fileOffset)
      return decode(type, bytes.subarray(offset, offset + byteSize(type, count)), count)
    }
    const weights = values('blk.1.ffn_up.weight', tensorType, 64 * 128)
    const mean = weights.reduce((a, b) => a + b) / weights.length
    const std = Math.sqrt(weights.reduce((a, b) => a + (b - mean) ** 2, 0) / weights.length)
    expect(Math.abs(mean)).toBeLessThan(0.002)
    expect(std).toBeGreaterThan(0.017)
    expect(std).toBeLessThan(0.023)
    for (const v of values('output_norm.weight', 'F32', 64)) expect(Math.abs(v - 1)).toBeLessThan(0.04)
  })
})

describe('synthesizeModel', () => {
  it('is deterministic per seed', async () => {
    const write = async (name: string, seed?: number) => {
      const path = join(dir, 'seeds', name)
      await synthesizeModel({path, shape: SHAPES.tiny, tensorType: 'Q8_0', seed})
      return readFile(path)
    }
    const [a, b, c] = [await write('a.gguf'), await write('b.gguf', 1), await write('c.gguf', 2)]
    expect(a.equals(b)).toBe(true)
    expect(a.length).toBe(c.length)
    expect(a.equals(c)).toBe(false)
  })

  it('streams tensors larger than the random pool', async () => {
    const path = join(dir, 'pool.gguf')
    const shape = parseShape('vocab=20000,embd=96,heads=3,kv=1')
    const result = await synthesizeModel({path, shape, tensorType: 'Q4_0', name: 'pool'})
    const info = await readGgufFileInfo(path, {readTensorInfo: true, logWarnings: false})
    expect(info.metadata.general.name).toBe('pool')
    const embd = info.tensorInfo!.find((t) => t.name === 'token_embd.weight')!
    expect(embd.dimensions).toEqual([96, 20000])
    expect(result.parameterCount).toBe(countParameters(shape))
    const bytes = await readFile(path)
    const offset = Number(embd.fileOffset)
    const weights = decode('Q4_0', bytes.subarray(offset, offset + byteSize('Q4_0', 96 * 20000)), 96 * 20000)
    expect(weights.every((v) => Math.abs(v) < 0.04)).toBe(true)
    expect(new Set(weights).size).toBeGreaterThan(1000)
  })

  it.each([
    ['Q4_0', 'embd=48,heads=4', /Q4_0 stores rows in blocks of 32 values/],
    ['Q8_0', 'ff=100', /feedForwardLength \(100\) must be multiples of 32/],
  ] as const)('rejects %s rows that are not whole blocks (%s)', async (tensorType, spec, message) => {
    const path = join(dir, 'bad', 'model.gguf')
    await expect(synthesizeModel({path, shape: parseShape(spec), tensorType})).rejects.toThrow(message)
    await expect(stat(path)).rejects.toThrow()
  })

  it('allows F32 rows of any even head size, and rejects invalid shapes and options', async () => {
    const path = join(dir, 'odd', 'model.gguf')
    await synthesizeModel({path, shape: parseShape('embd=48,ff=100'), tensorType: 'F16'})
    const shape = {...SHAPES.tiny, vocabSize: 100}
    await expect(synthesizeModel({path, shape})).rejects.toThrow(/vocabSize must be at least 259/)
    await expect(synthesizeModel({path, shape: {...SHAPES.tiny, blockCount: 1.5}})).rejects.toThrow(/blockCount/)
    await expect(synthesizeModel({path, shape: SHAPES.tiny, seed: 0.5})).rejects.toThrow(/seed must be an integer/)
    const tensorType = 'Q5_K' as TensorType
    await expect(synthesizeModel({path, shape: SHAPES.tiny, tensorType})).rejects.toThrow(/unknown tensor type/)
    expect(() => countParameters({...SHAPES.tiny, headCount: 5})).toThrow(/headCount \(5\)/)
  })
})
