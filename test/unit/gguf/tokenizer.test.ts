import {describe, expect, it} from 'vitest'
import {buildVocabulary, byteTokens, MIN_VOCAB_SIZE, SPECIAL_TOKENS} from '../../../src/lib/gguf/tokenizer.js'

describe('byteTokens', () => {
  it('is GPT-2 bytes_to_unicode indexed by byte value', () => {
    const tokens = byteTokens()
    expect(tokens).toHaveLength(256)
    expect(new Set(tokens).size).toBe(256)
    const samples = [65, 32, 10, 0, 173, 255].map((byte) => tokens[byte])
    expect(samples).toEqual(['A', 'Ġ', 'Ċ', 'Ā', 'Ń', 'ÿ'])
  })
})

describe('buildVocabulary', () => {
  it.each([MIN_VOCAB_SIZE, 512, 32000, 128256])('builds a consistent vocabulary of %i tokens', (size) => {
    const vocab = buildVocabulary(size)
    expect(vocab.tokens).toHaveLength(size)
    expect(vocab.tokenTypes).toHaveLength(size)
    expect(new Set(vocab.tokens).size).toBe(size)
    expect(vocab.tokens.slice(-3)).toEqual([...SPECIAL_TOKENS])
    expect(vocab.tokenTypes.slice(-4)).toEqual([1, 3, 3, 3])
    expect([vocab.bosId, vocab.eosId, vocab.padId]).toEqual([size - 3, size - 1, size - 3])
    // Every merge joins two tokens that already exist (bytes or earlier merge results) into a vocabulary token.
    const index = new Map(vocab.tokens.map((token, i) => [token, i]))
    const available = new Set(vocab.tokens.slice(0, 256))
    for (const merge of vocab.merges) {
      const [left, right, ...rest] = merge.split(' ')
      const valid = rest.length === 0 && available.has(left) && available.has(right) && index.has(left + right)
      if (!valid) expect.fail(`bad merge '${merge}'`)
      available.add(left + right)
    }
    expect(new Set(vocab.merges).size).toBe(vocab.merges.length)
    expect(available.size).toBe(size - 3)
  })

  it('learns whole words as single tokens', () => {
    const {tokens} = buildVocabulary(4096)
    for (const word of ['Ġthe', 'Ġpatient', 'Ġhypertension', 'the']) expect(tokens).toContain(word)
  })

  it('rejects sizes below the byte and special tokens', () => {
    expect(() => buildVocabulary(MIN_VOCAB_SIZE - 1)).toThrow(/at least|>= 259/)
  })
})
