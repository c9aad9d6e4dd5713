import {copyFile, mkdtemp, open, readFile, stat, truncate, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'

import type {ChatWrapper} from 'node-llama-cpp'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {createEngine, type Engine, type EngineLogLevel, type JsonSchema} from '../../src/lib/engine/index.js'
import {resolveChatWrapperCached} from '../../src/lib/engine/llama/chat-wrapper.js'
import {loadLlamaModel, type LoadedLlamaModel} from '../../src/lib/engine/llama/loader.js'
import {InterruptedError} from '../../src/lib/errors/index.js'

const modelPath = inject('tinyModelPath')
const logs: Array<[EngineLogLevel, string]> = []
const system = 'You are a clinical assistant.'

// Short strings, enums and booleans: a random-weight model cannot ramble past maxTokens inside them.
const schema = {
  type: 'object',
  properties: {
    label: {enum: ['PROBLEM', 'TREATMENT', 'TEST']},
    negated: {type: 'boolean'},
    note: {type: 'string', maxLength: 8},
  },
} as const satisfies JsonSchema

describe('llama engine on a synthesized model', () => {
  let engine: Engine

  beforeAll(async () => {
    engine = await createEngine({modelPath, gpu: 'off', threads: 1, contextSize: 512, sequences: 2, logger: (level, message) => logs.push([level, message])})
  })

  afterAll(async () => {
    await engine?.dispose()
  })

  it('reports what it loaded', () => {
    expect(engine.info).toMatchObject({kind: 'llama', contextSize: 512, sequences: 2, threads: 1, gpu: false, chatWrapper: 'ChatML'})
  })

  it('counts tokens, and the template adds some', () => {
    const text = 'Pt is a 67yo M with CHF.'
    expect(engine.countTokens(text)).toBeGreaterThan(0)
    expect(engine.countPromptTokens({system, user: text})).toBeGreaterThan(engine.countTokens(text) + engine.countTokens(system))
  })

  it('generates text within maxTokens, deterministically at temperature 0', async () => {
    const request = {system, user: 'Pt is a 67yo M with CHF.', maxTokens: 12}
    const first = await engine.chat(request)
    const second = await engine.chat(request)
    expect(typeof first.text).toBe('string')
    expect(first.outputTokens).toBeGreaterThan(0)
    expect(first.outputTokens).toBeLessThanOrEqual(12)
    expect(first.promptTokens).toBe(engine.countPromptTokens(request))
    expect(second.text).toBe(first.text)
  })

  it('evaluates the shared prompt prefix once per sequence and reuses it', async () => {
    const single = await createEngine({modelPath, gpu: 'off', threads: 1, contextSize: 512})
    try {
      const first = await single.chat({system, user: 'Pt is a 67yo M with CHF.', maxTokens: 4})
      const second = await single.chat({system, user: 'BP 150/90 on lisinopril.', maxTokens: 4})
      // llama.cpp may count the last prompt token with the first generated one.
      expect(first.evaluatedPromptTokens).toBeGreaterThanOrEqual(first.promptTokens - 1)
      expect(second.evaluatedPromptTokens).toBeGreaterThan(0)
      expect(second.evaluatedPromptTokens).toBeLessThan(second.promptTokens - engine.countTokens(system))
    } finally {
      await single.dispose()
    }
  })

  it('produces schema-valid JSON under a JSON-schema grammar', async () => {
    for (const user of ['BP 150/90.', 'No chest pain.', 'Started metformin 500 mg.']) {
      const generation = await engine.chat({system, user, maxTokens: 64, schema})
      const value = generation.json as {label: string; negated: boolean; note: string}
      expect(JSON.parse(generation.text)).toEqual(value)
      // Compact JSON (jsonSchemaToGbnf's grammar): no whitespace between tokens, keys in schema order.
      expect(generation.text).toBe(JSON.stringify(value))
      expect(Object.keys(value)).toEqual(['label', 'negated', 'note'])
      expect(['PROBLEM', 'TREATMENT', 'TEST']).toContain(value.label)
      expect(typeof value.negated).toBe('boolean')
      expect(typeof value.note).toBe('string')
    }
  })

  it("falls back to node-llama-cpp's grammar for a schema jsonSchemaToGbnf cannot enforce (format)", async () => {
    const dated = {type: 'object', properties: {day: {type: 'string', format: 'date'}}} as const satisfies JsonSchema
    const generation = await engine.chat({system, user: 'Seen on 2024-03-01.', maxTokens: 32, schema: dated})
    expect((generation.json as {day: string}).day).toMatch(/^\d{4}-\d{2}-\d{2}$/)
  })

  it('runs more requests than sequences at once, each with its own answer', async () => {
    const users = ['a one', 'b two', 'c three', 'd four', 'e five']
    const alone = await Promise.all(users.map((user) => engine.chat({system, user, maxTokens: 6})))
    expect(alone).toHaveLength(5)
    for (const generation of alone) expect(generation.outputTokens).toBeLessThanOrEqual(6)
  })

  it('refuses a prompt that does not fit instead of truncating it', async () => {
    const user = 'word '.repeat(600)
    await expect(engine.chat({system, user, maxTokens: 16})).rejects.toMatchObject({code: 'E_TOO_LONG', exitCode: 8})
  })

  it('stops when aborted', async () => {
    const controller = new AbortController()
    const pending = engine.chat({system, user: 'Long answer please', maxTokens: 400, signal: controller.signal})
    setTimeout(() => controller.abort(), 5)
    await expect(pending).rejects.toBeInstanceOf(InterruptedError)
    // The engine is still usable afterwards.
    expect((await engine.chat({system, user: 'again', maxTokens: 4})).outputTokens).toBeGreaterThan(0)
  })

  it('sends llama.cpp logs to the logger it was given', () => {
    for (const [level] of logs) expect(['debug', 'error', 'info', 'warn']).toContain(level)
  })
})

describe('model file checks', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-bad-model-'))
  })

  it('exits 4 for a missing file', async () => {
    await expect(createEngine({modelPath: join(dir, 'missing.gguf'), gpu: 'off', threads: 1})).rejects.toMatchObject({code: 'E_MODEL_NOT_FOUND', exitCode: 4})
  })

  it('rejects a file that is not GGUF', async () => {
    const path = join(dir, 'not.gguf')
    await writeFile(path, 'this is a clinical note, not a model\n')
    await expect(createEngine({modelPath: path, gpu: 'off', threads: 1})).rejects.toMatchObject({code: 'E_MODEL_INVALID', exitCode: 7})
  })

  it('rejects a truncated GGUF before llama.cpp reads it', async () => {
    const path = join(dir, 'truncated.gguf')
    await copyFile(modelPath, path)
    await truncate(path, Math.floor((await stat(path)).size * 0.6))
    await expect(createEngine({modelPath: path, gpu: 'off', threads: 1})).rejects.toMatchObject({code: 'E_MODEL_TRUNCATED', exitCode: 7})
  })

  it('rejects a GGUF whose header is garbage', async () => {
    const path = join(dir, 'garbage.gguf')
    await copyFile(modelPath, path)
    const handle = await open(path, 'r+')
    await handle.write(Buffer.alloc(64, 0xff), 0, 64, 8)
    await handle.close()
    await expect(createEngine({modelPath: path, gpu: 'off', threads: 1})).rejects.toMatchObject({exitCode: 7})
  })
})

describe('chat wrapper resolution, remembered per model file', () => {
  let loaded: LoadedLlamaModel
  let dir: string
  /** Resolves once into `cachePath`, then rewrites the remembered type, as another run might have left it. */
  const plant = async (cachePath: string, type: string): Promise<void> => {
    await resolveChatWrapperCached(loaded.nlc, loaded.model, modelPath, {cachePath})
    const cache = JSON.parse(await readFile(cachePath, 'utf8'))
    for (const entry of Object.values(cache.entries) as Array<{type: string}>) entry.type = type
    await writeFile(cachePath, JSON.stringify(cache))
  }
  const render = (wrapper: ChatWrapper): string => JSON.stringify(wrapper.generateContextState({chatHistory: [{type: 'user', text: 'BP 150/90.'}, {type: 'model', response: []}]}).contextText.toJSON())

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-chat-wrapper-'))
    loaded = await loadLlamaModel({modelPath, gpu: 'off', threads: 1})
  })

  afterAll(async () => {
    await loaded?.model.dispose()
    await loaded?.releaseLlama()
  })

  it('gives what node-llama-cpp resolves, then rebuilds it from the cache', async () => {
    const cachePath = join(dir, 'fresh.json')
    const expected = loaded.nlc.resolveChatWrapper(loaded.model)
    const first = await resolveChatWrapperCached(loaded.nlc, loaded.model, modelPath, {cachePath})
    const cache = JSON.parse(await readFile(cachePath, 'utf8'))
    expect(Object.values(cache.entries)).toEqual([expect.objectContaining({type: 'chatML'})])
    const second = await resolveChatWrapperCached(loaded.nlc, loaded.model, modelPath, {cachePath})
    for (const wrapper of [first, second]) {
      expect(wrapper.constructor).toBe(expected.constructor)
      expect(render(wrapper)).toBe(render(expected))
    }
  })

  it('uses the remembered answer without resolving again, also for the same model written elsewhere', async () => {
    const cachePath = join(dir, 'planted.json')
    await plant(cachePath, 'general')
    const wrapper = await resolveChatWrapperCached(loaded.nlc, loaded.model, modelPath, {cachePath})
    expect(wrapper).toBeInstanceOf(loaded.nlc.GeneralChatWrapper)
    const copy = join(await mkdtemp(join(dir, 'copy-')), basename(modelPath))
    await copyFile(modelPath, copy)
    expect(await resolveChatWrapperCached(loaded.nlc, loaded.model, copy, {cachePath})).toBeInstanceOf(loaded.nlc.GeneralChatWrapper)
  })

  it('resolves in full past a corrupt cache or an unknown wrapper type, and repairs the cache', async () => {
    for (const [name, content] of [['corrupt.json', '{"version":1,"entr'], ['unknown.json', 'x']]) {
      const cachePath = join(dir, name)
      await writeFile(cachePath, content)
      if (name === 'unknown.json') await plant(cachePath, 'noSuchWrapper')

      const wrapper = await resolveChatWrapperCached(loaded.nlc, loaded.model, modelPath, {cachePath})
      expect(wrapper).toBeInstanceOf(loaded.nlc.ChatMLChatWrapper)
      const cache = JSON.parse(await readFile(cachePath, 'utf8'))
      expect(Object.values(cache.entries)).toEqual([expect.objectContaining({type: 'chatML'})])
    }
  })
})
