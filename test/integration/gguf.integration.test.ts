import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Llama} from 'node-llama-cpp'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {SHAPES, synthesizeModel} from '../../src/lib/gguf/index.js'

let dir: string
let llama: Llama
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gguf-llama-'))
  const {getLlama, LlamaLogLevel} = await import('node-llama-cpp')
  llama = await getLlama({
    gpu: false,
    build: 'never',
    maxThreads: 1,
    logLevel: LlamaLogLevel.error,
    logger: (_level, message) => process.stderr.write(message),
  })
}, 60_000)
afterAll(async () => {
  await llama?.dispose()
  await rm(dir, {recursive: true, force: true})
})

describe.each(['F32', 'F16', 'Q8_0', 'Q4_0'] as const)('synthesized tiny %s model in llama.cpp', (tensorType) => {
  it('loads, round-trips text and chats with ChatML', {timeout: 60_000}, async () => {
    const {LlamaChat} = await import('node-llama-cpp')
    const path = join(dir, `tiny-${tensorType}.gguf`)
    await synthesizeModel({path, shape: SHAPES.tiny, tensorType})
    const model = await llama.loadModel({modelPath: path})
    try {
      expect(model.fileInfo.metadata.general.architecture).toBe('llama')
      const text = 'Pt is a 67yo M with CHF.'
      const tokens = model.tokenize(text)
      expect(tokens.length).toBeGreaterThan(0)
      expect(model.detokenize(tokens)).toBe(text)
      expect(model.tokenize('<|im_end|>', true)).toHaveLength(1)

      const context = await model.createContext({contextSize: 512, threads: 1})
      try {
        const chat = new LlamaChat({contextSequence: context.getSequence()})
        expect(chat.chatWrapper.wrapperName).toBe('ChatML')
        const {response} = await chat.generateResponse(
          [
            {type: 'system', text: 'x'},
            {type: 'user', text: 'hi'},
          ],
          {maxTokens: 16},
        )
        expect(typeof response).toBe('string')
        chat.dispose()
      } finally {
        await context.dispose()
      }
    } finally {
      await model.dispose()
    }
  })
})
