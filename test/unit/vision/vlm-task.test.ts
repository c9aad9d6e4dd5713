import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createEngine, createVisionEngine, type JsonSchema} from '../../../src/lib/engine/index.js'
import {runTask} from '../../../src/lib/pipeline/index.js'
import {askImage, createVlmTask, parseLabelList, readSchemaFile, singleImageSource} from '../../../src/lib/tasks/index.js'
import {findProjectorNextTo} from '../../../src/lib/use-cases/index.js'
import {drawJpeg, drawPng, makeDicom} from '../../helpers/images.js'
import {memoryWriter, sourceOf} from '../../helpers/streams.js'

const settings = {maxTokens: 64, temperature: 0}
const NAME = 'ROE^RICHARD^SECRET'

describe('vlm task (echo vision engine)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-vlm-'))
    await writeFile(join(dir, 'chest.jpg'), drawJpeg(64, 48))
    await writeFile(join(dir, 'hand.png'), drawPng(40, 30))
    await writeFile(join(dir, 'ct.dcm'), makeDicom({rows: 24, columns: 20, patientName: NAME}))
    await writeFile(join(dir, 'notes.txt'), 'not an image')
  })
  afterAll(() => rm(dir, {recursive: true, force: true}))

  const run = async (lines: unknown[], options: Parameters<typeof createVlmTask>[0] = {}) => {
    const engine = await createVisionEngine({kind: 'echo'})
    const writer = memoryWriter()
    const warnings: string[] = []
    const task = createVlmTask({imageDir: dir, onImageWarning: (w) => warnings.push(w), ...options})
    const input = lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n'
    const outcome = await runTask({task, engine, source: await sourceOf(input), writer, settings, field: 'image'}).catch((error: unknown) => error)
    return {records: writer.records(), outcome, warnings}
  }

  it('answers each record in order, keeping its fields; the record question wins over the default', async () => {
    const {records, outcome} = await run(
      [
        {id: 'a', image: 'chest.jpg', question: 'Is there an effusion?'},
        {id: 'b', image: 'hand.png'},
        {id: 'c', image: 'ct.dcm', question: 'Which organ?'},
      ],
      {question: 'Describe the image.'},
    )
    expect(outcome).toMatchObject({records: 3, failed: 0})
    expect(records).toEqual([
      {id: 'a', image: 'chest.jpg', question: 'Is there an effusion?', answer: 'Is there an effusion? <image 64x48>'},
      {id: 'b', image: 'hand.png', answer: 'Describe the image. <image 40x30>'},
      {id: 'c', image: 'ct.dcm', question: 'Which organ?', answer: 'Which organ? <image 20x24>'},
    ])
    expect(JSON.stringify(records)).not.toContain('SECRET')
  })

  it('turns missing, unreadable and question-less records into error records without quoting them', async () => {
    const {records, outcome} = await run([
      {id: 1, image: 'Smith_John.jpg', question: 'q'},
      {id: 2, image: 'notes.txt', question: 'q'},
      {id: 3, image: 'chest.jpg'},
      {id: 4, question: 'Patient Smith: effusion?'},
      {id: 5, image: 'chest.jpg', question: 42},
      {id: 6, image: 'chest.jpg', question: 'fine'},
    ])
    expect(outcome).toMatchObject({code: 'E_PARTIAL', exitCode: 9})
    expect(records.map((r) => (r.error as {code?: string} | undefined)?.code ?? 'ok')).toEqual([
      'E_IMAGE_NOT_FOUND',
      'E_IMAGE_UNSUPPORTED',
      'E_FIELD_MISSING',
      'E_FIELD_MISSING',
      'E_FIELD_MISSING',
      'ok',
    ])
    expect(JSON.stringify(records.slice(0, 5))).not.toMatch(/Smith|notes\.txt/)
  })

  it('answers with the smallest schema-valid JSON under --schema, and entities under --labels', async () => {
    const schema = {type: 'object', properties: {effusion: {type: 'boolean'}, side: {enum: ['left', 'right']}}} as JsonSchema
    const structured = await run([{id: 1, image: 'chest.jpg'}], {schema})
    expect(structured.records).toEqual([{id: 1, image: 'chest.jpg', answer: {effusion: false, side: 'left'}}])
    const labels = await run([{id: 1, image: 'chest.jpg'}], {labels: ['test', 'value']})
    expect(labels.records).toEqual([{id: 1, image: 'chest.jpg', entities: []}])
  })

  it('warns about DICOM burned-in annotations', async () => {
    await writeFile(join(dir, 'burned.dcm'), makeDicom({burnedInAnnotation: true}))
    const {warnings} = await run([{image: 'burned.dcm', question: 'q'}])
    expect(warnings).toEqual([expect.stringMatching(/burned-in annotations/)])
  })

  it('refuses a text-only engine instead of answering without the image', async () => {
    const engine = await createEngine({kind: 'echo'})
    await expect(askImage(engine, {image: join(dir, 'chest.jpg'), question: 'q', settings})).rejects.toMatchObject({code: 'E_NO_VISION', exitCode: 7})
  })

  it('makes the one-record source of --image, printed as text', async () => {
    const engine = await createVisionEngine({kind: 'echo'})
    const writer = memoryWriter()
    const task = createVlmTask({question: 'Effusion?'})
    await runTask({task, engine, source: singleImageSource(join(dir, 'chest.jpg'), {question: 'Effusion?'}), writer, settings, field: 'image'})
    expect(writer.lines).toEqual(['Effusion? <image 64x48>'])
  })
})

describe('vlm options', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-vlm-opts-'))
  })
  afterAll(() => rm(dir, {recursive: true, force: true}))

  it('reads schema files and refuses what cannot be enforced (usage errors, exit 2)', async () => {
    await writeFile(join(dir, 'ok.json'), JSON.stringify({type: 'object', properties: {a: {type: 'boolean'}}}))
    await writeFile(join(dir, 'pattern.json'), JSON.stringify({type: 'string', pattern: 'x'}))
    await writeFile(join(dir, 'broken.json'), '{')
    await expect(readSchemaFile(join(dir, 'ok.json'))).resolves.toEqual({type: 'object', properties: {a: {type: 'boolean'}}})
    await expect(readSchemaFile(join(dir, 'pattern.json'))).rejects.toMatchObject({code: 'E_SCHEMA_UNSUPPORTED', exitCode: 2, message: expect.stringContaining('"pattern"')})
    await expect(readSchemaFile(join(dir, 'broken.json'))).rejects.toMatchObject({code: 'E_SCHEMA_FILE', exitCode: 2})
    await expect(readSchemaFile(join(dir, 'none.json'))).rejects.toMatchObject({code: 'E_SCHEMA_FILE'})
  })

  it('parses label lists', () => {
    expect(parseLabelList(' test, value ,unit,test')).toEqual(['test', 'value', 'unit'])
    expect(() => parseLabelList(',')).toThrowError(expect.objectContaining({code: 'E_BAD_LABELS', exitCode: 2}))
  })

  it('finds the one projector next to a model, or the one sharing its stem', async () => {
    const single = join(dir, 'single')
    const pair = join(dir, 'pair')
    for (const [folder, files] of [
      [single, ['model-Q4_K_M.gguf', 'mmproj-F16.gguf']],
      [pair, ['medgemma-4b-it-Q4_K_M.gguf', 'mmproj-medgemma-4b-it-F16.gguf', 'mmproj-smolvlm-500m-F16.gguf']],
    ] as const) {
      await rm(folder, {recursive: true, force: true})
      await import('node:fs/promises').then(({mkdir}) => mkdir(folder, {recursive: true}))
      for (const file of files) await writeFile(join(folder, file), '')
    }

    await expect(findProjectorNextTo(join(single, 'model-Q4_K_M.gguf'))).resolves.toBe(join(single, 'mmproj-F16.gguf'))
    await expect(findProjectorNextTo(join(pair, 'medgemma-4b-it-Q4_K_M.gguf'))).resolves.toBe(join(pair, 'mmproj-medgemma-4b-it-F16.gguf'))
    await expect(findProjectorNextTo(join(dir, 'nowhere', 'model.gguf'))).resolves.toBeUndefined()
  })
})
