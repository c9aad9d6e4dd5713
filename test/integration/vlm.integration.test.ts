import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {createVisionEngine, validateJsonValue, type JsonSchema, type VisionEngine} from '../../src/lib/engine/index.js'
import {PROJECTOR_SHAPES, SHAPES, synthesizeProjector} from '../../src/lib/gguf/index.js'
import {runTask} from '../../src/lib/pipeline/index.js'
import {askImage, createVlmTask} from '../../src/lib/tasks/index.js'
import {drawJpeg, makeDicom} from '../helpers/images.js'
import {memoryWriter, sourceOf} from '../helpers/streams.js'

const model = inject('tinyModelPath')
const NAME = 'SECRETNAME^PATIENT'
// Bounded, string-free fields: a random-weight model finishes them within the token budget.
const schema = {
  type: 'object',
  properties: {
    effusion: {type: 'boolean'},
    side: {enum: ['left', 'right', 'both', 'none']},
    sites: {type: 'array', items: {enum: ['apex', 'base']}, maxItems: 2},
  },
} as JsonSchema

describe('vision engine on a synthesized model + projector (real llama.cpp mtmd in a worker)', () => {
  let dir: string
  let engine: VisionEngine
  const logs: string[] = []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-vlm-int-'))
    const {path: mmprojPath} = await synthesizeProjector({path: join(dir, 'mmproj.gguf'), textEmbeddingLength: SHAPES.tiny.embeddingLength})
    await writeFile(join(dir, 'chest.jpg'), drawJpeg(96, 80))
    await writeFile(join(dir, 'ct.dcm'), makeDicom({rows: 40, columns: 40, patientName: NAME}))
    engine = await createVisionEngine({
      modelPath: model,
      mmprojPath,
      threads: 1,
      gpu: 'off',
      sequences: 2,
      contextSize: 512,
      verbose: true,
      logger: (_level, message) => logs.push(message),
    })
  })

  afterAll(async () => {
    await engine?.dispose()
    await rm(dir, {recursive: true, force: true})
  })

  it('loads and answers a question about a JPEG the test drew', async () => {
    expect(engine.info).toMatchObject({kind: 'llama', contextSize: 512, sequences: 2, threads: 1, gpu: false})
    const {answer, generation} = await askImage(engine, {image: join(dir, 'chest.jpg'), question: 'Is there a pleural effusion?', settings: {maxTokens: 8, temperature: 0}})
    expect(typeof answer).toBe('string')
    expect(generation.images).toBe(1)
    expect(generation.promptTokens).toBeGreaterThan(PROJECTOR_SHAPES.tiny.imageSize / PROJECTOR_SHAPES.tiny.patchSize)
    expect(generation.outputTokens).toBeGreaterThan(0)
    expect(generation.outputTokens).toBeLessThanOrEqual(8)
  })

  it('answers with schema-valid JSON under a schema, records in order on two sequences', async () => {
    const task = createVlmTask({schema, imageDir: dir})
    const writer = memoryWriter()
    const input = [1, 2, 3].map((id) => JSON.stringify({id, image: 'chest.jpg'})).join('\n') + '\n'
    await runTask({task, engine, source: await sourceOf(input), writer, settings: {maxTokens: 96, temperature: 0}, field: 'image', parallel: 2})
    const records = writer.records()
    expect(records.map((r) => r.id)).toEqual([1, 2, 3])
    for (const record of records) expect(validateJsonValue(record.answer, schema)).toEqual([])
  })

  it('sends only DICOM pixels: the patient name is in no prompt, output or log line', async () => {
    logs.length = 0
    const task = createVlmTask({imageDir: dir})
    const writer = memoryWriter()
    await runTask({task, engine, source: await sourceOf('{"id":"d","image":"ct.dcm","question":"Which organ is shown?"}\n'), writer, settings: {maxTokens: 8, temperature: 0}, field: 'image'})
    expect(writer.records()).toEqual([expect.objectContaining({id: 'd', answer: expect.any(String)})])
    // --verbose logs quote the prompt (llama.cpp prints it), so they show what the model was given.
    expect(logs.join('\n')).toContain('Which organ is shown?')
    for (const text of [logs.join('\n'), writer.lines.join('\n')]) {
      expect(text).not.toContain('SECRETNAME')
      expect(text).not.toContain('PATIENT')
    }
  })

  it('refuses a prompt longer than the context as an input error, and stops on abort', async () => {
    await expect(askImage(engine, {image: join(dir, 'chest.jpg'), question: 'word '.repeat(600), settings: {maxTokens: 8, temperature: 0}})).rejects.toMatchObject({
      code: 'E_TOO_LONG',
      exitCode: 8,
    })
    const controller = new AbortController()
    const pending = askImage(engine, {image: join(dir, 'chest.jpg'), question: 'Describe.', settings: {maxTokens: 300, temperature: 0}, signal: controller.signal})
    setTimeout(() => controller.abort(), 5)
    await expect(pending).rejects.toMatchObject({code: 'E_INTERRUPTED'})
    // The engine still works afterwards.
    await expect(askImage(engine, {image: join(dir, 'chest.jpg'), question: 'q', settings: {maxTokens: 4, temperature: 0}})).resolves.toMatchObject({answer: expect.any(String)})
  })
})

describe('vision engine load errors', () => {
  it('explains a projector made for another model size (exit 7)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jsl-med-vlm-mismatch-'))
    try {
      const {path} = await synthesizeProjector({path: join(dir, 'mmproj-32.gguf'), textEmbeddingLength: 32})
      await expect(createVisionEngine({modelPath: model, mmprojPath: path, threads: 1, gpu: 'off', contextSize: 256})).rejects.toMatchObject({
        code: 'E_MMPROJ_INVALID',
        exitCode: 7,
        message: expect.stringMatching(/mismatch between text model \(n_embd = 64\) and mmproj \(n_embd = 32\)/),
      })
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })
})
