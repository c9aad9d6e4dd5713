import {describe, expect, it} from 'vitest'

import {adviseParallel} from '../../../src/lib/advisor/index.js'

const architecture = {layers: 16, embeddingLength: 1024, headCount: 16, headCountKv: 4, headDim: 64, vocabSize: 32_000}

describe('adviseParallel', () => {
  it('grows the KV cache with every sequence and shares the compute buffers', () => {
    const one = adviseParallel({architecture, contextSize: 4096, sequences: 1, availableBytes: 2 ** 40})
    const four = adviseParallel({architecture, contextSize: 4096, sequences: 4, availableBytes: 2 ** 40})
    // K and V, F16, 4 KV heads of 64, 16 layers, 4096 cells.
    expect(one.perSequenceBytes).toBe(2 * 2 * 4 * 64 * 16 * 4096)
    expect(four.neededBytes - one.neededBytes).toBe(3 * one.perSequenceBytes)
  })

  it('refuses what does not fit and names the largest -j that does', () => {
    const advice = adviseParallel({architecture, contextSize: 4096, sequences: 64, availableBytes: 2 ** 30})
    expect(advice.fits).toBe(false)
    expect(advice.maxSequences).toBeGreaterThan(0)
    expect(advice.maxSequences).toBeLessThan(64)
    expect(adviseParallel({architecture, contextSize: 4096, sequences: advice.maxSequences, availableBytes: 2 ** 30}).fits).toBe(true)
    expect(adviseParallel({architecture, contextSize: 4096, sequences: advice.maxSequences + 1, availableBytes: 2 ** 30}).fits).toBe(false)
  })

  it('says 0 when not even one sequence fits', () => {
    expect(adviseParallel({architecture, contextSize: 131_072, sequences: 1, availableBytes: 2 ** 20}).maxSequences).toBe(0)
  })
})
