import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, afterEach, beforeAll, describe, expect, inject, it, vi} from 'vitest'

import {createVisionEngine, type VisionChatRequest} from '../../src/lib/engine/index.js'
import {SHAPES, synthesizeProjector} from '../../src/lib/gguf/index.js'

const workerPath = fileURLToPath(new URL('vlm-fake-worker.mjs', import.meta.url))
const model = inject('tinyModelPath')
const request = (user: string): VisionChatRequest => ({system: '', user, maxTokens: 8, images: [{data: Buffer.from('png'), mimeType: 'image/png'}]})

describe('vision engine worker protocol (fake worker)', () => {
  let dir: string
  let mmprojPath: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-vlm-fake-'))
    ;({path: mmprojPath} = await synthesizeProjector({path: join(dir, 'mmproj.gguf'), textEmbeddingLength: SHAPES.tiny.embeddingLength}))
  })
  afterAll(() => rm(dir, {recursive: true, force: true}))
  afterEach(() => {
    delete process.env.FAKE_VISION_WORKER
    vi.restoreAllMocks()
  })

  const open = async (mode: string) => {
    process.env.FAKE_VISION_WORKER = mode
    const logs: string[] = []
    const engine = await createVisionEngine({modelPath: model, mmprojPath, workerPath, threads: 1, logger: (level, message) => logs.push(`${level} ${message}`)})
    return {engine, logs}
  }

  it('answers over IPC and keeps the worker\'s stdout chatter off our stdout', async () => {
    const writes = vi.spyOn(process.stdout, 'write')
    const {engine} = await open('ok')
    await expect(engine.chat(request('hello'))).resolves.toMatchObject({text: 'hello (1 images)', images: 1, promptTokens: 10})
    await engine.dispose()
    expect(writes.mock.calls.map((call) => String(call[0])).join('')).not.toContain('[INFO]')
  })

  it('fails the records in flight when the worker crashes, then starts a new worker', async () => {
    const {engine, logs} = await open('ok')
    await expect(engine.chat(request('__crash__'))).rejects.toMatchObject({code: 'E_VISION_CRASHED', exitCode: 7, message: expect.stringContaining('SIGABRT')})
    await expect(engine.chat(request('after'))).resolves.toMatchObject({text: 'after (1 images)'})
    expect(logs).toContain('warn restarting the vision worker after a crash')
    await engine.dispose()
  })

  it('gives up after repeated crashes', async () => {
    const {engine} = await open('ok')
    for (let i = 0; i < 3; i++) await expect(engine.chat(request('__crash__'))).rejects.toMatchObject({code: 'E_VISION_CRASHED'})
    await expect(engine.chat(request('again'))).rejects.toMatchObject({code: 'E_VISION_CRASHED', message: expect.stringContaining('repeatedly')})
    await engine.dispose()
  })

  it('aborts a generation', async () => {
    const {engine} = await open('ok')
    const controller = new AbortController()
    const pending = engine.chat({...request('__slow__'), signal: controller.signal})
    controller.abort()
    await expect(pending).rejects.toMatchObject({code: 'E_INTERRUPTED', exitCode: 130})
    await engine.dispose()
  })

  it('reports load failures with llama.cpp\'s reason from stderr, and a worker that dies while loading', async () => {
    await expect(open('load-error')).rejects.toMatchObject({code: 'E_MMPROJ_INVALID', message: expect.stringContaining('unknown projector type: fancy')})
    await expect(open('die-on-load')).rejects.toMatchObject({code: 'E_VISION_CRASHED', message: expect.stringContaining('exit code 3')})
  })
})
