import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {readGgufFileInfo} from 'node-llama-cpp'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {PROJECTOR_SHAPES, SHAPES, synthesizeProjector, validateProjectorShape} from '../../../src/lib/gguf/index.js'

describe('synthesizeProjector', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-mmproj-'))
  })
  afterAll(() => rm(dir, {recursive: true, force: true}))

  it('writes a clip/mlp projector whose output width matches the text model', async () => {
    const result = await synthesizeProjector({path: join(dir, 'mmproj.gguf'), textEmbeddingLength: SHAPES.tiny.embeddingLength})
    expect(result).toMatchObject({projectorType: 'mlp', imageTokens: 4, tensorCount: 42})
    const info = await readGgufFileInfo(result.path, {readTensorInfo: true, logWarnings: false, sourceType: 'filesystem'})
    const metadata = info.metadata as unknown as Record<string, Record<string, unknown>>
    expect(metadata.general.architecture).toBe('clip')
    expect(metadata.clip).toMatchObject({has_vision_encoder: true, projector_type: 'mlp'})
    const dims = Object.fromEntries((info.tensorInfo ?? []).map((t) => [t.name, t.dimensions.map(Number)]))
    const {imageSize, patchSize, embeddingLength} = PROJECTOR_SHAPES.tiny
    expect(dims['v.patch_embd.weight']).toEqual([patchSize, patchSize, 3, embeddingLength])
    expect(dims['v.position_embd.weight']).toEqual([embeddingLength, (imageSize / patchSize) ** 2 + 1])
    expect(dims['mm.2.weight']).toEqual([PROJECTOR_SHAPES.tiny.projectorLength, SHAPES.tiny.embeddingLength])
    expect(result.parameterCount).toBe(Object.values(dims).reduce((sum, d) => sum + d.reduce((a, b) => a * b, 1), 0))
  })

  it('is byte-identical for a seed and different across seeds', async () => {
    const write = async (name: string, seed: number) => readFile((await synthesizeProjector({path: join(dir, name), textEmbeddingLength: 64, seed})).path)
    const [a, b, c] = [await write('a.gguf', 3), await write('b.gguf', 3), await write('c.gguf', 4)]
    expect(a.equals(b)).toBe(true)
    expect(a.equals(c)).toBe(false)
  })

  it('rejects shapes mtmd would refuse', () => {
    expect(() => validateProjectorShape({...PROJECTOR_SHAPES.tiny, imageSize: 30})).toThrow(/multiple of patchSize/)
    expect(() => validateProjectorShape({...PROJECTOR_SHAPES.tiny, blockCount: 1})).toThrow(/at least 2/)
    expect(() => validateProjectorShape({...PROJECTOR_SHAPES.tiny, feedForwardLength: 32})).toThrow(/differ/)
  })
})
