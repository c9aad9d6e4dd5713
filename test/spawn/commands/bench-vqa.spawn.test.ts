import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {SHAPES, synthesizeProjector} from '../../../src/lib/gguf/index.js'
import {drawJpeg, drawPng} from '../../helpers/images.js'
import {runCli} from '../../helpers/spawn-cli.js'
import {validateBenchRecord} from '../../unit/bench/json-schema.js'

const model = inject('tinyModelPath')

// VQA-RAD's JSON format, with images the test draws: closed and open questions, one of the train split and one
// whose image is missing (both left out).
const rows = [
  {qid: 1, image_name: 'synpic1.jpg', question: 'Is there a mass?', answer: 'Yes', answer_type: 'CLOSED', phrase_type: 'test_freeform'},
  {qid: 2, image_name: 'synpic2.png', question: 'Is the study normal?', answer: 'No', answer_type: 'CLOSED', phrase_type: 'test_para'},
  {qid: 3, image_name: 'synpic1.jpg', question: 'Which lobe is affected?', answer: 'Right lower lobe', answer_type: 'OPEN', phrase_type: 'test_freeform'},
  {qid: 4, image_name: 'synpic3.jpg', question: 'What modality is this?', answer: 'CT', answer_type: 'OPEN', phrase_type: 'test_freeform'},
  {qid: 5, image_name: 'synpic1.jpg', question: 'Is this a CT?', answer: 'yes', answer_type: 'CLOSED', phrase_type: 'freeform'},
  {qid: 6, image_name: 'absent.jpg', question: 'Is there air?', answer: 'no', answer_type: 'CLOSED', phrase_type: 'test_freeform'},
]

describe('bin/run.js bench --tasks vqa-rad (spawned, real llama.cpp mtmd on a synthesized model + projector)', () => {
  let dir: string
  let mmproj: string
  let env: Record<string, string>

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-bench-vqa-'))
    mmproj = (await synthesizeProjector({path: join(dir, 'mmproj.gguf'), textEmbeddingLength: SHAPES.tiny.embeddingLength})).path
    await mkdir(join(dir, 'data', 'vqa-rad', 'images'), {recursive: true})
    await writeFile(join(dir, 'data', 'vqa-rad', 'vqa_rad.json'), JSON.stringify(rows))
    await writeFile(join(dir, 'data', 'vqa-rad', 'images', 'synpic1.jpg'), drawJpeg(96, 80))
    await writeFile(join(dir, 'data', 'vqa-rad', 'images', 'synpic2.png'), drawPng(50, 40))
    await writeFile(join(dir, 'data', 'vqa-rad', 'images', 'synpic3.jpg'), drawJpeg(64, 64))
    env = {JSL_MED_CACHE_DIR: join(dir, 'cache'), JSL_MED_THREADS: '', JSL_MED_BENCH_DATA_DIR: '', JSL_MED_MMPROJ: ''}
  })
  afterAll(() => rm(dir, {recursive: true, force: true}))

  it('prints one schema-valid vqa record with N, closed and open figures in [0, 1], and the table on stderr', async () => {
    const args = ['bench', '--tasks', 'vqa-rad', '--limit', '3', '-m', model, '--mmproj', mmproj, '--data-dir', join(dir, 'data'), '--threads', '1', '--gpu', 'off', '--context-size', '512', '--max-tokens', '4', '--no-store']
    const {code, stdout, stderr} = await runCli(args, '', env)
    expect(code, stderr).toBe(0)
    const lines = stdout.split('\n').filter(Boolean)
    expect(lines).toHaveLength(1)
    const record = JSON.parse(lines[0])
    expect(validateBenchRecord(record)).toEqual([])
    expect(record).toMatchObject({kind: 'vqa', task: 'vqa-rad', settings: {limit: 3, maxTokens: 4, mmproj: {path: mmproj}}})
    const {vqa} = record
    expect(vqa).toMatchObject({n: 3, failed: 0, missingImages: 1, closed: {n: 2}, open: {n: 1}})
    for (const value of [vqa.closed.accuracy, ...vqa.closed.ci95, vqa.open.accuracy, vqa.open.meanRecall, vqa.bleu1, vqa.f1, vqa.recall]) {
      expect(value).toBeGreaterThanOrEqual(0)
      expect(value).toBeLessThanOrEqual(1)
    }

    expect(stderr).toMatch(/\| vqa-rad closed +\|/)
    expect(stderr).toMatch(/\| vqa-rad open +\|/)
  })

  it('refuses vqa-rad without --data-dir (exit 2: no public single-file download) before loading a model', async () => {
    const dataHome = await mkdtemp(join(tmpdir(), 'jsl-med-vqa-data-'))
    const {code, stdout} = await runCli(['bench', '--tasks', 'vqa-rad', '-m', model, '--mmproj', mmproj, '--json'], '', {...env, JSL_MED_DATA_DIR: dataHome})
    await rm(dataHome, {recursive: true, force: true})
    expect(code).toBe(2)
    expect(JSON.parse(stdout)).toMatchObject({error: {code: 'E_DATASET_NOT_DOWNLOADABLE'}})
  })
})
