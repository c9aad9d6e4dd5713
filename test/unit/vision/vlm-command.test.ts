import {copyFile, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {runCommand} from '@oclif/test'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {drawJpeg, makeDicom} from '../../helpers/images.js'
import {root} from '../../helpers/spawn-cli.js'

describe('vlm command (in process)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-vlm-cmd-'))
    await writeFile(join(dir, 'chest.jpg'), drawJpeg(64, 48))
    await writeFile(join(dir, 'ct.dcm'), makeDicom({patientName: 'DOE^SECRET'}))
  })
  afterAll(() => rm(dir, {recursive: true, force: true}))

  // runCommand splits its arguments at spaces, so questions here are one word; the spawn test asks real ones.
  it('prints the answer about one --image as text', async () => {
    const {stdout, stderr, error} = await runCommand(['vlm', '--engine', 'echo', '--image', join(dir, 'chest.jpg'), 'Effusion?'], {root})
    expect(error, stderr).toBeUndefined()
    expect(stdout).toBe('Effusion? <image 64x48>\n')
  })

  it('answers NDJSON records from --input, relative to --image-dir, and keeps DICOM tags out', async () => {
    const input = join(dir, 'q.ndjson')
    await writeFile(input, '{"id":1,"image":"chest.jpg","question":"Effusion?"}\n{"id":2,"image":"ct.dcm"}\n')
    const {stdout, stderr, error} = await runCommand(['vlm', '--engine', 'echo', '-i', input, '--image-dir', dir, 'Organ?'], {root})
    expect(error).toBeUndefined()
    expect(stdout.trim().split('\n').map((line) => JSON.parse(line))).toEqual([
      {id: 1, image: 'chest.jpg', question: 'Effusion?', answer: 'Effusion? <image 64x48>'},
      {id: 2, image: 'ct.dcm', answer: 'Organ? <image 32x32>'},
    ])
    expect(stdout + stderr).not.toContain('SECRET')
  })

  it('prints schema-valid JSON with --schema', async () => {
    const schema = join(dir, 'finding.json')
    await writeFile(schema, JSON.stringify({type: 'object', properties: {effusion: {type: 'boolean'}, side: {enum: ['left', 'right', 'none']}}}))
    const {stdout, error} = await runCommand(['vlm', '--engine', 'echo', '--image', join(dir, 'chest.jpg'), '--schema', schema], {root})
    expect(error).toBeUndefined()
    expect(JSON.parse(stdout)).toEqual({effusion: false, side: 'left'})
  })

  it('exits 8 for a missing or unreadable --image, without quoting its path', async () => {
    const missing = await runCommand(['vlm', '--engine', 'echo', '--image', join(dir, 'Smith.jpg'), 'q'], {root})
    expect(missing.error?.oclif?.exit).toBe(8)
    expect(missing.stderr).toMatch(/E_IMAGE_NOT_FOUND/)
    expect(missing.stderr).not.toContain('Smith')
    await writeFile(join(dir, 'bad.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]))
    const unreadable = await runCommand(['vlm', '--engine', 'echo', '--image', join(dir, 'bad.png'), 'q'], {root})
    expect(unreadable.error?.oclif?.exit).toBe(8)
    expect(unreadable.stderr).toMatch(/E_IMAGE_UNREADABLE/)
  })

  it('exits 2 without a question, or with a schema it cannot enforce', async () => {
    const noQuestion = await runCommand(['vlm', '--engine', 'echo', '--image', join(dir, 'chest.jpg')], {root})
    expect(noQuestion.error?.oclif?.exit).toBe(2)
    expect(noQuestion.stderr).toMatch(/E_NO_QUESTION/)
    const schema = join(dir, 'pattern.json')
    await writeFile(schema, JSON.stringify({type: 'string', pattern: '^x$'}))
    const unsupported = await runCommand(['vlm', '--engine', 'echo', '--image', join(dir, 'chest.jpg'), '--schema', schema], {root})
    expect(unsupported.error?.oclif?.exit).toBe(2)
    expect(unsupported.stderr).toMatch(/E_SCHEMA_UNSUPPORTED/)
  })

  it('exits 4 for a model without a projector, and 7 for a text model passed as the projector', async () => {
    const model = join(dir, 'models', 'tiny.gguf')
    await import('node:fs/promises').then(({mkdir}) => mkdir(join(dir, 'models'), {recursive: true}))
    await copyFile(inject('tinyModelPath'), model)
    const noProjector = await runCommand(['vlm', '-m', model, '--image', join(dir, 'chest.jpg'), 'q'], {root})
    expect(noProjector.error?.oclif?.exit).toBe(4)
    expect(noProjector.stderr).toMatch(/E_MMPROJ_MISSING[\s\S]*Hint: .*--mmproj/)
    const wrong = await runCommand(['vlm', '-m', model, '--mmproj', model, '--image', join(dir, 'chest.jpg'), 'q'], {root})
    expect(wrong.error?.oclif?.exit).toBe(7)
    expect(wrong.stderr).toMatch(/E_MMPROJ_INVALID/)
    const missing = await runCommand(['vlm', '-m', model, '--mmproj', join(dir, 'none.gguf'), '--image', join(dir, 'chest.jpg'), 'q'], {root})
    expect(missing.error?.oclif?.exit).toBe(4)
    expect(missing.stderr).toMatch(/E_MMPROJ_NOT_FOUND/)
  })
})
