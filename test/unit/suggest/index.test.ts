import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {didYouMean, editDistance, suggestNames} from '../../../src/lib/suggest/index.js'

const COMMANDS = ['bench', 'help', 'hw', 'models', 'models:rm', 'ner', 'pull', 'soap', 'summarize', 'vlm']
const FLAGS = ['max-tokens', 'style', 'model', 'models-dir', 'input', 'output', 'quiet', 'verbose', 'threads', 'json']
const MODELS = ['medgemma-4b', 'qwen3-4b', 'med42-8b', 'nuextract-1.5-tiny', 'qwen3-1.7b', 'smolvlm-500m', 'qwen2.5-0.5b', 'smollm2-135m', 'jsl-meds', 'jsl-meds-8b']

describe('editDistance (optimal string alignment)', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps as one edit each', () => {
    expect(editDistance('sumarize', 'summarize')).toBe(1)
    expect(editDistance('summarizee', 'summarize')).toBe(1)
    expect(editDistance('summarise', 'summarize')).toBe(1)
    expect(editDistance('stlye', 'style')).toBe(1)
    expect(editDistance('qwen3-17b', 'qwen3-1.7b')).toBe(1)
    expect(editDistance('', 'abc')).toBe(3)
    expect(editDistance('kitten', 'sitting')).toBe(3)
  })

  it('is symmetric, zero only for equal strings, and at most the longer length', () => {
    fc.assert(
      fc.property(fc.string({maxLength: 12}), fc.string({maxLength: 12}), (a, b) => {
        const distance = editDistance(a, b)
        expect(distance).toBe(editDistance(b, a))
        expect(distance === 0).toBe(a === b)
        expect(distance).toBeLessThanOrEqual(Math.max(a.length, b.length))
        expect(distance).toBeGreaterThanOrEqual(Math.abs(a.length - b.length))
      }),
    )
  })
})

describe('suggestNames', () => {
  it('suggests the command, flag or catalog id a typo meant, and only the nearest', () => {
    expect(suggestNames('sumarize', COMMANDS)).toEqual(['summarize'])
    expect(suggestNames('models:rmm', COMMANDS)).toEqual(['models:rm'])
    expect(suggestNames('max-token', FLAGS)).toEqual(['max-tokens'])
    expect(suggestNames('stlye', FLAGS)).toEqual(['style'])
    expect(suggestNames('qwen3-17b', MODELS)).toEqual(['qwen3-1.7b'])
    expect(suggestNames('QWEN3-4B', MODELS)).toEqual([])
    expect(suggestNames('Qwen3-4', MODELS)).toEqual(['qwen3-4b'])
  })

  it('counts a prefix of 3 or more characters as close, after near spellings, and lists ties alphabetically', () => {
    expect(suggestNames('summ', COMMANDS)).toEqual(['summarize'])
    expect(suggestNames('model', COMMANDS)).toEqual(['models'])
    expect(suggestNames('jsl-med', MODELS)).toEqual(['jsl-meds'])
    expect(suggestNames('qwen3', MODELS)).toEqual(['qwen3-1.7b', 'qwen3-4b'])
  })

  it('suggests nothing when nothing is close, rather than a wild guess', () => {
    expect(suggestNames('xyzzy', COMMANDS)).toEqual([])
    expect(suggestNames('hw', ['bench', 'pull'])).toEqual([])
    expect(suggestNames('', COMMANDS)).toEqual([])
    expect(suggestNames('llama-70b', MODELS)).toEqual([])
  })

  it('honours max and maxDistance', () => {
    expect(suggestNames('qwen3', MODELS, {max: 1})).toEqual(['qwen3-1.7b'])
    expect(suggestNames('sumrize', COMMANDS, {maxDistance: () => 0})).toEqual([])
  })
})

describe('didYouMean', () => {
  it('phrases one, two or more names, and nothing for none', () => {
    expect(didYouMean(['--style'])).toBe('Did you mean --style?')
    expect(didYouMean(['a', 'b'])).toBe('Did you mean a or b?')
    expect(didYouMean(['a', 'b', 'c'])).toBe('Did you mean a, b or c?')
    expect(didYouMean([])).toBe('')
  })
})
