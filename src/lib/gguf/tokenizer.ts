/** A byte-level BPE vocabulary in the form llama.cpp's 'gpt2' tokenizer loads. */
export interface Vocabulary {
  /** Token texts by id, bytes in GPT-2's printable byte-to-unicode form. */
  tokens: string[]
  /** llama_token_type per token: 1 normal, 3 control. */
  tokenTypes: number[]
  /** Merge rules 'left right', highest priority first. */
  merges: string[]
  /** Id of `<|endoftext|>`. */
  bosId: number
  /** Id of `<|im_end|>`, which ends a ChatML turn. */
  eosId: number
  /** Id of `<|endoftext|>`. */
  padId: number
}

/** Special tokens appended at the end of the vocabulary, in this order. */
export const SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const

/** Smallest valid vocabulary: the 256 byte tokens plus the special tokens. */
export const MIN_VOCAB_SIZE = 256 + SPECIAL_TOKENS.length

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 upwards (space becomes 'Ġ'). */
export function byteTokens(): string[] {
  const tokens: string[] = []
  let extra = 0
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174
    tokens.push(String.fromCharCode(printable ? b : 256 + extra++))
  }
  return tokens
}

// Frequent English bigrams, then common and clinical words (each with and without a leading space); after these, merges
// continue through all lowercase strings in length order, so any vocabulary size is filled deterministically.
const BIGRAMS = 'th he in er an re on at en nd ti es or te of ed is it al ar st to nt ng se ha as ou io le ve co me'
const WORDS =
  'the of and to in is that for with was on as by at be this are from or not have has patient history mg daily ' +
  'blood pressure heart failure diabetes chronic acute pain chest denies reports presents male female year old yo ' +
  'no yes left right normal exam lab results diagnosis treatment medication dose twice tablet oral admitted ' +
  'discharge hospital follow up disease kidney liver lung cancer infection fever cough shortness breath ' +
  'hypertension medical clinical note plan assessment symptoms negative positive'

function* candidates(): Generator<string> {
  yield* BIGRAMS.split(' ')
  for (const word of WORDS.split(' ')) yield* [' ' + word, word]
  for (let length = 2; ; length++) {
    for (let n = 0; n < 26 ** length; n++) {
      let s = ''
      for (let i = 0, k = n; i < length; i++, k = Math.floor(k / 26)) s = String.fromCharCode(97 + (k % 26)) + s
      yield s
      yield ' ' + s
    }
  }
}

/**
 * Builds a vocabulary of exactly `vocabSize` tokens: byte tokens (id = byte value), merge-derived tokens, then the
 * special tokens. Every merge joins two existing tokens into a token that exists from that merge on.
 */
export function buildVocabulary(vocabSize: number): Vocabulary {
  if (!Number.isInteger(vocabSize) || vocabSize < MIN_VOCAB_SIZE) {
    throw new Error(`vocabulary size must be an integer >= ${MIN_VOCAB_SIZE}, got ${vocabSize}`)
  }
  const bytes = byteTokens()
  const tokens = [...bytes]
  const known = new Set(tokens)
  const merges: string[] = []
  const target = vocabSize - SPECIAL_TOKENS.length
  const ranks = new Map<string, number>()
  // Greedy BPE as llama.cpp applies it: repeatedly merge the leftmost pair with the best (lowest) rank.
  const segment = (symbols: string[]) => {
    for (;;) {
      let best = -1
      let bestRank = Infinity
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = ranks.get(`${symbols[i]} ${symbols[i + 1]}`) ?? Infinity
        if (rank < bestRank) [best, bestRank] = [i, rank]
      }
      if (best < 0) return symbols
      symbols.splice(best, 2, symbols[best] + symbols[best + 1])
    }
  }
  // Appending merges of the first two symbols until one remains makes `text` tokenize to a single token.
  const learn = (text: string) => {
    let symbols = segment(Array.from(text, (c) => bytes[c.charCodeAt(0)])) // candidates are ASCII: one byte each
    while (symbols.length > 1 && tokens.length < target) {
      const merge = `${symbols[0]} ${symbols[1]}`
      ranks.set(merge, merges.length)
      merges.push(merge)
      const token = symbols[0] + symbols[1]
      if (!known.has(token)) {
        tokens.push(token)
        known.add(token)
      }
      symbols = segment(symbols)
    }
  }
  for (const text of candidates()) {
    if (tokens.length >= target) break
    learn(text)
  }
  const first = tokens.length
  tokens.push(...SPECIAL_TOKENS)
  const tokenTypes = tokens.map((_, i) => (i >= first ? 3 : 1))
  return {tokens, tokenTypes, merges, bosId: first, eosId: first + 2, padId: first}
}
