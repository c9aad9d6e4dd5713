import {execFileSync} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {SHAPES, synthesizeProjector} from '../../../src/lib/gguf/index.js'
import {startHfMock, type HfMock} from '../../helpers/hf-mock-server.js'
import {drawPng} from '../../helpers/images.js'
import {runCli, runProcess} from '../../helpers/spawn-cli.js'

const tinyModel = inject('tinyModelPath')
const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
})()

let dir: string
let env: Record<string, string>
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jsl-med-names-'))
  env = {JSL_MED_MODELS_DIR: join(dir, 'models'), JSL_MED_CACHE_DIR: join(dir, 'cache'), HF_HOME: join(dir, 'hf-home'), HF_TOKEN: ''}
})
afterAll(() => rm(dir, {recursive: true, force: true}))

describe('did-you-mean (spawned)', () => {
  it('names the command a typo meant, in one error on stderr, exit 2; --json gives the error document', async () => {
    const typo = await runCli(['sumarize'], '', env)
    expect(typo).toMatchObject({code: 2, stdout: ''})
    expect(typo.stderr).toBe('Error [E_UNKNOWN_COMMAND]: sumarize is not a jsl-med command\nHint: Did you mean summarize? See the commands: jsl-med --help\n')
    expect((await runCli(['models', 'rmm', 'x'], '', env)).stderr).toContain('Did you mean models rm?')

    const json = await runCli(['sumarize', '--json'], '', env)
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stdout)).toEqual({error: {code: 'E_UNKNOWN_COMMAND', message: 'sumarize is not a jsl-med command', hint: expect.stringContaining('Did you mean summarize?'), exitCode: 2}})
  })

  it('never echoes words that do not look like a command (a note typed where a command goes)', async () => {
    const note = await runCli(['Pt', 'has', 'CHF'], '', env)
    expect(note.code).toBe(2)
    expect(note.stderr).toContain('The first argument is not a jsl-med command')
    expect(note.stderr).not.toMatch(/CHF|Pt /)
  })

  it('names the flag (or flag value) a typo meant, with one help line', async () => {
    for (const [args, meant] of [
      [['summarize', '--max-token', '5'], '--max-tokens'],
      [['summarize', '--stlye', 'x'], '--style'],
      [['bench', '--repetition', '2'], '--repetitions'],
      [['summarize', '--gpu', 'cdua'], 'cuda'],
    ] as const) {
      const {code, stdout, stderr} = await runCli([...args], '', env)
      expect(code, stderr).toBe(2)
      expect(stdout).toBe('')
      expect(stderr).toContain(`Hint: Did you mean ${meant}? See: jsl-med ${args[0]} --help`)
      expect(stderr.match(/--help/g), stderr).toHaveLength(1)
    }
  })

  it('names the catalog id a mistyped model meant, instead of listing the catalog', async () => {
    for (const command of [['summarize'], ['hw'], ['bench', '-r', '1']]) {
      const {code, stderr} = await runCli([...command, '-m', 'qwen3-17b'], '', env)
      expect(code, stderr).toBe(4)
      expect(stderr).toContain('Hint: Did you mean qwen3-1.7b?')
      expect(stderr).not.toContain('Catalog models:')
    }
  })

  it('never waits for an answer when stdout is not a terminal, even with stdin on one', {skip: !hasScript, timeout: 30_000}, async () => {
    // script(1) gives the command a pseudo-terminal for stdin and stderr; stdout goes to a file.
    const out = join(dir, 'typo.out')
    const started = Date.now()
    const {code} = await runProcess('script', ['-qec', `node bin/run.js sumarize > '${out}'`, '/dev/null'], '', env)
    expect(Date.now() - started).toBeLessThan(8000)
    expect(code).toBe(2)
    expect(await readFile(out, 'utf8')).toBe('')
  })
})

describe('one model name for every command (spawned, real llama.cpp)', () => {
  let image: string
  beforeAll(async () => {
    const {path: mmproj} = await synthesizeProjector({path: join(dir, 'mmproj.gguf'), textEmbeddingLength: SHAPES.tiny.embeddingLength})
    image = join(dir, 'hand.png')
    await writeFile(image, drawPng(32, 24))
    const imported = await runCli(['pull', tinyModel, '--as', 'tiny', '--mmproj', mmproj], '', env)
    expect(imported.code, imported.stderr).toBe(0)
    const again = await runCli(['pull', tinyModel, '--as', 'tiny-too'], '', env)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).toContain('is the file of installed model tiny (same sha256): tiny-too is recorded as another name for it, not copied again')
    expect(again.stdout).toBe(imported.stdout)
  })

  const run = ['--threads', '1', '--gpu', 'off', '--max-tokens', '4', '-q']
  for (const command of ['summarize', 'ner', 'soap']) {
    it(`${command} -m tiny`, async () => {
      const {code, stdout, stderr} = await runCli([command, '-m', 'tiny', ...run], '{"id":"a","text":"Pt denies chest pain."}\n', env)
      expect(code, stderr).toBe(0)
      expect(stdout.trim().split('\n').map((line) => JSON.parse(line))).toEqual([expect.objectContaining({id: 'a'})])
    })
  }

  it('vlm -m tiny-too (the projector installed with the file comes along)', async () => {
    const {code, stdout, stderr} = await runCli(['vlm', '-m', 'tiny-too', ...run, '--context-size', '512', '--image', image, 'Describe the image.'], '', env)
    expect(code, stderr).toBe(0)
    expect(stdout.endsWith('\n')).toBe(true)
  })

  it('hw --model tiny-too reads the installed file, named as installed', async () => {
    const {code, stdout, stderr} = await runCli(['hw', '--model', 'tiny-too', '--json'], '', env)
    expect(code, stderr).toBe(0)
    const result = JSON.parse(stdout) as {models: Array<{id: string; file: string; quantName: string}>}
    expect(result.models).toEqual([expect.objectContaining({id: 'tiny-too', file: join(env.JSL_MED_MODELS_DIR, 'local/tiny/tiny.gguf'), quantName: 'F32'})])
  })

  it('bench -m tiny measures the installed file', async () => {
    const {code, stdout, stderr} = await runCli(['bench', '-m', 'tiny', '-r', '1', '--no-warmup', '--prompt-tokens', '8', '--gen-tokens', '4', '--threads', '1', '--no-store', '-q'], '', env)
    expect(code, stderr).toBe(0)
    const records = stdout.trim().split('\n').map((line) => JSON.parse(line) as {model: {path: string}})
    expect(records.length).toBeGreaterThan(0)
    for (const record of records) expect(record.model.path).toBe(join(env.JSL_MED_MODELS_DIR, 'local/tiny/tiny.gguf'))
  })

  it('models shows the quantization the header declares, and the shared file once per name', async () => {
    const {code, stdout} = await runCli(['models', '--json'], '', env)
    expect(code).toBe(0)
    const {models} = JSON.parse(stdout) as {models: Array<{id: string; quantName?: string; path: string}>}
    expect(models.map((model) => [model.id, model.quantName, model.path])).toEqual([
      ['tiny', 'F32', join(env.JSL_MED_MODELS_DIR, 'local/tiny/tiny.gguf')],
      ['tiny-too', 'F32', join(env.JSL_MED_MODELS_DIR, 'local/tiny/tiny.gguf')],
    ])
  })
})

describe('pull hf:owner/repo:QUANT with file names the uploader spelt their own way (spawned, hub mock)', () => {
  let mock: HfMock
  beforeAll(async () => {
    const model = await readFile(tinyModel)
    mock = await startHfMock({repos: {'acme/other-GGUF': {files: {'other_Q4_K_M.gguf': model}}, 'acme/plain-GGUF': {files: {'plain.gguf': model, 'README.md': Buffer.from('#')}}}})
  })
  afterAll(() => mock?.close())

  it('finds Q4_K_M in other_Q4_K_M.gguf', async () => {
    const environment = {...env, HF_ENDPOINT: mock.endpoint, JSL_MED_MODELS_DIR: join(dir, 'hub-store')}
    const {code, stdout, stderr} = await runCli(['pull', 'hf:acme/other-GGUF:Q4_K_M'], '', environment)
    expect(code, stderr).toBe(0)
    expect(stdout).toBe(`${join(environment.JSL_MED_MODELS_DIR, 'hf/acme/other-GGUF/other_Q4_K_M.gguf')}\n`)
  })

  it('names the .gguf files a repo has when their names give no quantization, and pulls one by path', async () => {
    const environment = {...env, HF_ENDPOINT: mock.endpoint, JSL_MED_MODELS_DIR: join(dir, 'hub-store-2')}
    const missing = await runCli(['pull', 'hf:acme/plain-GGUF:Q4_K_M'], '', environment)
    expect(missing.code).toBe(4)
    expect(missing.stderr).not.toContain('no .gguf')
    expect(missing.stderr).toContain('Files whose names give no quantization: plain.gguf; pull one by path, e.g. hf:acme/plain-GGUF/plain.gguf.')
    const byPath = await runCli(['pull', 'hf:acme/plain-GGUF/plain.gguf'], '', environment)
    expect(byPath.code, byPath.stderr).toBe(0)
    const {models} = JSON.parse((await runCli(['models', '--json'], '', environment)).stdout) as {models: Array<{quantName?: string}>}
    expect(models.map((model) => model.quantName)).toEqual(['F32'])
  })
})

