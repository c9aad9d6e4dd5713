import {createHash} from 'node:crypto'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {createEngine, type LoraAdapter} from '../../../src/lib/engine/index.js'
import {parseShape, SHAPES, synthesizeLora} from '../../../src/lib/gguf/index.js'
import {runCli} from '../../helpers/spawn-cli.js'

const modelPath = inject('tinyModelPath')

describe('LoRA adapters on a synthesized model', () => {
  let dir: string
  let adapter: string
  let wrongShape: string
  let wrongArchitecture: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-lora-'))
    adapter = (await synthesizeLora({path: join(dir, 'lora.gguf'), shape: SHAPES.tiny, seed: 3})).path
    wrongShape = (await synthesizeLora({path: join(dir, 'wide.gguf'), shape: parseShape('embd=128,heads=4,kv=2')})).path
    wrongArchitecture = (await synthesizeLora({path: join(dir, 'qwen.gguf'), shape: SHAPES.tiny, architecture: 'qwen2'})).path
  })

  afterAll(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  const greedy = async (lora?: LoraAdapter[]): Promise<string> => {
    const engine = await createEngine({modelPath, gpu: 'off', threads: 1, contextSize: 512, lora})
    try {
      expect(engine.info.lora).toEqual(lora)
      return (await engine.chat({system: 'You write.', user: 'Patient reports chest pain.', maxTokens: 24, temperature: 0})).text
    } finally {
      await engine.dispose()
    }
  }

  it('changes the greedy output; at scale 0 the output is the model without adapter', async () => {
    const base = await greedy()
    expect(await greedy()).toBe(base)
    const adapted = await greedy([{path: adapter}])
    expect(adapted).not.toBe(base)
    expect(await greedy([{path: adapter, scale: 0}])).toBe(base)
    expect(await greedy([{path: adapter, scale: 1}])).toBe(adapted)
  })

  it.each([
    ['shape', () => wrongShape],
    ['architecture', () => wrongArchitecture],
  ])('an adapter of another %s exits 7 (E_LORA) with a hint, and nothing on stdout', async (_, path) => {
    const {code, stdout, stderr} = await runCli(['summarize', '-m', modelPath, '--lora', path(), '-t', '1', '--gpu', 'off', '--max-tokens', '4'], 'Patient reports chest pain.\n')
    expect(code).toBe(7)
    expect(stdout).toBe('')
    expect(stderr).toContain('Error [E_LORA]')
    expect(stderr).toMatch(/Hint: An adapter only fits the model it was trained for/)
  })

  it('writes each adapter sha256 and scale into the --audit log', async () => {
    const audit = join(dir, 'audit.ndjson')
    const {code} = await runCli(['summarize', '-m', modelPath, '--lora', `${adapter}:0.5`, '--audit', audit, '-t', '1', '--gpu', 'off', '--max-tokens', '4', '--format', 'ndjson'], '{"id":"a","text":"chest pain"}\n')
    expect(code).toBe(0)
    const [line] = (await readFile(audit, 'utf8')).trim().split('\n').map((text) => JSON.parse(text) as Record<string, unknown>)
    const sha256 = createHash('sha256').update(await readFile(adapter)).digest('hex')
    expect(line.lora).toEqual([{path: adapter, scale: 0.5, sha256}])
  })

  it('a missing adapter is a usage error (exit 2)', async () => {
    const {code, stderr} = await runCli(['summarize', '-m', modelPath, '--lora', join(dir, 'none.gguf')], 'x\n')
    expect(code).toBe(2)
    expect(stderr).toContain('LoRA adapter not found')
  })
})
