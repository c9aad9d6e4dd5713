import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {validateJsonValue, type JsonSchema} from '../../../src/lib/engine/index.js'
import {SHAPES, synthesizeProjector} from '../../../src/lib/gguf/index.js'
import {drawJpeg, drawPng, makeDicom} from '../../helpers/images.js'
import {runCli} from '../../helpers/spawn-cli.js'

const model = inject('tinyModelPath')
const NAME = 'SECRETNAME^PATIENT'

describe('bin/run.js vlm (spawned, real llama.cpp mtmd on a synthesized model + projector)', () => {
  let dir: string
  let common: string[]
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-vlm-spawn-'))
    const {path: mmproj} = await synthesizeProjector({path: join(dir, 'mmproj.gguf'), textEmbeddingLength: SHAPES.tiny.embeddingLength})
    common = ['-m', model, '--mmproj', mmproj, '--threads', '1', '--gpu', 'off', '--context-size', '512']
    await writeFile(join(dir, 'chest.jpg'), drawJpeg(96, 80))
    await writeFile(join(dir, 'hand.png'), drawPng(50, 40))
    await writeFile(join(dir, 'ct.dcm'), makeDicom({rows: 40, columns: 40, patientName: NAME}))
    await writeFile(join(dir, 'notes.txt'), 'not an image')
  })
  afterAll(() => rm(dir, {recursive: true, force: true}))

  it('prints the answer to a question about a JPEG, and nothing else on stdout', async () => {
    const {code, stdout, stderr} = await runCli(['vlm', ...common, '--max-tokens', '8', '--image', join(dir, 'chest.jpg'), 'Is there a pleural effusion?'])
    expect(code, stderr).toBe(0)
    expect(stdout.endsWith('\n')).toBe(true)
    expect(stdout).not.toContain('[INFO]')
    expect(() => JSON.parse(stdout)).toThrow()
    expect(stderr).not.toMatch(/Error/)
  })

  it('streams NDJSON records in order with in-band errors; DICOM tags reach neither stdout nor the --verbose logs', async () => {
    const input = [
      {id: 'jpg', image: 'chest.jpg', question: 'Is there a pleural effusion?'},
      {id: 'missing', image: 'Smith_John.jpg'},
      {id: 'text', image: 'notes.txt'},
      {id: 'dicom', image: 'ct.dcm', question: 'Which organ is shown?'},
      {id: 'png', image: 'hand.png'},
    ].map((record) => JSON.stringify(record))
    input.splice(3, 0, '{"id": broken')
    const {code, stdout, stderr} = await runCli(['vlm', ...common, '--max-tokens', '8', '--image-dir', dir, '--verbose', 'Describe the image.'], input.join('\n') + '\n')
    const records = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line))
    expect(records.map((r) => r.id ?? r.line)).toEqual(['jpg', 'missing', 'text', 4, 'dicom', 'png'])
    expect(records.map((r) => r.error?.code ?? typeof r.answer)).toEqual(['string', 'E_IMAGE_NOT_FOUND', 'E_IMAGE_UNSUPPORTED', 'E_BAD_JSON', 'string', 'string'])
    expect(code).toBe(9)
    // --verbose shows llama.cpp's logs, which quote the prompts: the DICOM question is there, its patient name is not.
    expect(stderr).toContain('Which organ is shown?')
    for (const text of [stdout, stderr]) {
      expect(text).not.toContain('SECRETNAME')
      expect(text).not.toContain('PATIENT')
      expect(text).not.toContain('Smith')
    }
  })

  it('answers with schema-valid JSON under --schema', async () => {
    const schema = {type: 'object', properties: {effusion: {type: 'boolean'}, side: {enum: ['left', 'right', 'both', 'none']}}}
    await writeFile(join(dir, 'finding.json'), JSON.stringify(schema))
    const {code, stdout, stderr} = await runCli(['vlm', ...common, '--max-tokens', '64', '--image', join(dir, 'chest.jpg'), '--schema', join(dir, 'finding.json')])
    expect(code, stderr).toBe(0)
    expect(validateJsonValue(JSON.parse(stdout), schema as JsonSchema)).toEqual([])
  })

  it('exits 4 for a model without a projector, 7 for a wrong projector, 8 for a missing image', async () => {
    const noProjector = await runCli(['vlm', '-m', model, '--image', join(dir, 'chest.jpg'), 'q'])
    expect(noProjector.code).toBe(4)
    expect(noProjector.stderr).toMatch(/E_MMPROJ_MISSING/)
    const wrong = await runCli(['vlm', '-m', model, '--mmproj', model, '--image', join(dir, 'chest.jpg'), 'q'])
    expect(wrong.code).toBe(7)
    expect(wrong.stderr).toMatch(/E_MMPROJ_INVALID/)
    const missing = await runCli(['vlm', ...common, '--image', join(dir, 'Smith_John.jpg'), 'q'])
    expect(missing.code).toBe(8)
    expect(missing.stderr).toMatch(/E_IMAGE_NOT_FOUND/)
    expect(missing.stderr).not.toContain('Smith')
    for (const run of [noProjector, wrong, missing]) expect(run.stdout).toBe('')
  })
})

describe('bin/run.js synth --projector, then vlm on it (spawned)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-synth-spawn-'))
    await writeFile(join(dir, 'chest.jpg'), drawJpeg(96, 80))
  })
  afterAll(() => rm(dir, {recursive: true, force: true}))

  it('has --help with examples, on stdout, exit 0', async () => {
    const {code, stdout} = await runCli(['synth', '--help'])
    expect(code).toBe(0)
    expect(stdout).toContain('--projector')
    expect(stdout).toContain('EXAMPLES')
  })

  it('writes a model and its projector (paths on stdout), which vlm finds without --mmproj', async () => {
    const modelPath = join(dir, 'models', 'tiny.gguf')
    const synth = await runCli(['synth', modelPath, '--projector'])
    expect(synth.code, synth.stderr).toBe(0)
    expect(synth.stdout).toBe(`${modelPath}\n${join(dir, 'models', 'mmproj-tiny.gguf')}\n`)
    expect(synth.stderr).toMatch(/random weights/)
    const vlm = await runCli(['vlm', '-m', modelPath, '--threads', '1', '--gpu', 'off', '--context-size', '512', '--max-tokens', '4', '--image', join(dir, 'chest.jpg'), 'Describe.'])
    expect(vlm.code, vlm.stderr).toBe(0)
    expect(vlm.stdout.endsWith('\n')).toBe(true)
  })

  it('gives a usage error (exit 2, no stack) for a bad shape, and --json for a good one', async () => {
    const bad = await runCli(['synth', join(dir, 'bad.gguf'), '--shape', 'huge'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/E_USAGE/)
    expect(bad.stdout).toBe('')
    const json = await runCli(['synth', join(dir, 'j.gguf'), '--json', '--type', 'Q8_0'])
    expect(json.code, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout).model).toMatchObject({path: join(dir, 'j.gguf'), tensorType: 'Q8_0'})
  })
})
