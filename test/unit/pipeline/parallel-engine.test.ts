import {describe, expect, it} from 'vitest'

import {adviseParallel} from '../../../src/lib/advisor/index.js'
import type {ModelArchitecture} from '../../../src/lib/catalog/index.js'
import {createEngine, type ContextFitRequest} from '../../../src/lib/engine/index.js'
import {EngineError, ResourceError} from '../../../src/lib/errors/index.js'
import {createEngineForParallel, type CreateWithSequences} from '../../../src/lib/use-cases/parallel-engine.js'

const shape: ModelArchitecture = {layers: 24, embeddingLength: 896, headCount: 14, headCountKv: 2, headDim: 64, vocabSize: 151_936}
const contextSize = 4096
const {neededBytes: oneSequence, perSequenceBytes} = adviseParallel({architecture: shape, contextSize, sequences: 1, availableBytes: 0})
const echo = await createEngine({kind: 'echo'})

/** A create that runs the fit check with `freeRamBytes` free and records the sequence counts it was asked for. */
function fakeCreate(freeRamBytes: number): CreateWithSequences & {asked: number[]} {
  const asked: number[] = []
  const create = async (sequences: number, checkFit: (request: ContextFitRequest) => void) => {
    asked.push(sequences)
    checkFit({shape, contextSize, sequences, gpuLayers: 0, freeRamBytes, freeVramBytes: 0})
    return echo
  }

  return Object.assign(create, {asked})
}

const log = (): void => {}

describe('createEngineForParallel (-j auto picks the sequences that fit)', () => {
  it('loads 4 sequences when they fit', async () => {
    const create = fakeCreate(oneSequence + perSequenceBytes * 5)
    expect(await createEngineForParallel('auto', 'llama', create, log)).toMatchObject({sequences: 4})
    expect(create.asked).toEqual([4])
  })

  it('loads the model again with 2, or 1, when 4 do not fit', async () => {
    const two = fakeCreate(oneSequence + perSequenceBytes * 1.5)
    expect(await createEngineForParallel('auto', 'llama', two, log)).toMatchObject({sequences: 2})
    expect(two.asked).toEqual([4, 2])
    const one = fakeCreate(oneSequence + perSequenceBytes * 0.5)
    expect(await createEngineForParallel('auto', 'llama', one, log)).toMatchObject({sequences: 1})
    expect(one.asked).toEqual([4, 1])
  })

  it('refuses like -j 1 (exit 6) when not even one sequence fits', async () => {
    const create = fakeCreate(oneSequence / 2)
    await expect(createEngineForParallel('auto', 'llama', create, log)).rejects.toMatchObject({exitCode: 6, code: 'E_PARALLEL_TOO_LARGE', message: expect.stringMatching(/^-j 1 /)})
    expect(create.asked).toEqual([4, 1])
  })

  it('gives the echo engine 4 sequences', async () => {
    const create = fakeCreate(0)
    expect(await createEngineForParallel('auto', 'echo', async (sequences) => create(sequences, () => {}), log)).toMatchObject({sequences: 4})
  })

  it('does not load again for a failure that is not the sequences\' fault', async () => {
    let calls = 0
    const broken: CreateWithSequences = async () => {
      calls++
      throw new ResourceError('Could not load model: not enough memory')
    }

    await expect(createEngineForParallel('auto', 'llama', broken, log)).rejects.toBeInstanceOf(ResourceError)
    const failing: CreateWithSequences = async (sequences, checkFit) => {
      calls++
      checkFit({shape, contextSize, sequences, gpuLayers: 0, freeRamBytes: Number.MAX_SAFE_INTEGER, freeVramBytes: 0})
      throw new EngineError('bad', {}, 'E_GENERATE')
    }

    await expect(createEngineForParallel('auto', 'llama', failing, log)).rejects.toBeInstanceOf(EngineError)
    expect(calls).toBe(2)
  })

  it('keeps a fixed -j N: N sequences, refused with exit 6 and the largest -j that fits', async () => {
    const create = fakeCreate(oneSequence + perSequenceBytes * 1.5)
    await expect(createEngineForParallel(3, 'llama', create, log)).rejects.toMatchObject({exitCode: 6, code: 'E_PARALLEL_TOO_LARGE', hint: expect.stringContaining('Use -j 2 or fewer')})
    expect(create.asked).toEqual([3])
    expect(await createEngineForParallel(2, 'llama', create, log)).toMatchObject({sequences: 2})
  })
})
