import {mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, afterEach, beforeAll, describe, expect, inject, it} from 'vitest'

import {sha256, startHfMock, type HfMock} from '../../helpers/hf-mock-server.js'
import {runCli} from '../../helpers/spawn-cli.js'

const tinyModel = inject('tinyModelPath')
const REPO = 'datasets/acme/medqa-mirror'
const FILE = 'medqa_us4_test.jsonl'

/** Made-up questions in MedQA's jsonl format, a few KB so that a cut lands mid-file. */
const content = Buffer.from(
  Array.from({length: 40}, (_, index) =>
    JSON.stringify({question: `Fixture question ${index + 1}?`, answer: 'Beta', options: {A: 'Alpha', B: 'Beta', C: 'Gamma', D: 'Delta'}, answer_idx: 'B'}),
  ).join('\n') + '\n',
)

let dir: string
let mock: HfMock
let homes = 0

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jsl-med-bench-datasets-'))
  mock = await startHfMock({repos: {[REPO]: {files: {'test.jsonl': content}}}})
})
afterAll(async () => {
  await mock?.close()
  await rm(dir, {recursive: true, force: true})
})
afterEach(() => mock.setFault(undefined))

/** A fresh data dir, and a dataset catalog (JSL_MED_DATASETS_CATALOG) whose medqa is the fixture on the mock hub. */
async function env(sha = sha256(content)): Promise<Record<string, string>> {
  const home = join(dir, `home-${++homes}`)
  const catalog = join(dir, `catalog-${homes}.json`)
  const medqa = {title: 'fixture MedQA', license: 'MIT', homepage: 'https://example.org', files: [{file: FILE, sizeBytes: content.length, sha256: sha, hub: {repo: REPO, revision: 'main', path: 'test.jsonl'}}]}
  await writeFile(catalog, JSON.stringify({medqa}))
  return {
    HF_ENDPOINT: mock.endpoint,
    HF_HOME: join(dir, 'no-hf-home'),
    HF_TOKEN: '',
    JSL_MED_DATA_DIR: home,
    JSL_MED_DATASETS_CATALOG: catalog,
    JSL_MED_CACHE_DIR: join(dir, 'cache'),
    JSL_MED_BENCH_DATA_DIR: '',
    JSL_MED_OFFLINE: '',
    HF_HUB_OFFLINE: '',
    JSL_MED_THREADS: '',
  }
}

const bench = ['bench', '-m', tinyModel, '--tasks', 'medqa', '--limit', '2', '--threads', '1']

describe('bin/run.js bench --tasks medqa without --data-dir (spawned, a hub mock on 127.0.0.1)', () => {
  it('--offline with the dataset missing exits 4 before any request; nothing is written', async () => {
    const environment = await env()
    mock.log.length = 0
    const {code, stdout, stderr} = await runCli([...bench, '--offline'], '', environment)
    expect(code, stderr).toBe(4)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/E_OFFLINE[\s\S]*Hint: .*--data-dir/)
    expect(mock.log).toEqual([])
    const json = await runCli([...bench, '--json'], '', {...environment, JSL_MED_OFFLINE: '1'})
    expect(json.code).toBe(4)
    expect(JSON.parse(json.stdout)).toMatchObject({error: {code: 'E_OFFLINE', exitCode: 4}})
    expect(mock.log).toEqual([])
  })

  it('downloads once despite a connection cut mid-file (a Range request resumes it), says where on stderr, and scores 2 questions', async () => {
    const environment = await env()
    const datasets = join(environment.JSL_MED_DATA_DIR, 'datasets')
    mock.log.length = 0
    mock.setFault({kind: 'cut', afterFraction: 0.5, times: 1})
    const first = await runCli(bench, '', environment)
    expect(first.code, first.stderr).toBe(0)
    const ranged = mock.log.filter((entry) => entry.server === 'cdn' && entry.range)
    expect(ranged).toHaveLength(1)
    expect(ranged[0]).toMatchObject({status: 206, range: expect.stringMatching(/^bytes=[1-9]\d*-$/)})
    expect(sha256(await readFile(join(datasets, FILE)))).toBe(sha256(content))
    expect(await readdir(datasets)).toEqual([FILE])
    expect(first.stderr).toContain(datasets)
    const records = first.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line))
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({kind: 'accuracy', task: 'medqa', accuracy: {n: 2}})
    expect(records[0].files).toEqual([join(datasets, FILE)])

    const requests = mock.log.length
    const second = await runCli([...bench, '--offline'], '', environment)
    expect(second.code, second.stderr).toBe(0)
    expect(second.stderr).toContain(datasets)
    expect(mock.log.length).toBe(requests)
  })

  it('a wrong sha256 keeps nothing (exit 5)', async () => {
    const environment = await env('0'.repeat(64))
    const {code, stdout, stderr} = await runCli(bench, '', environment)
    expect(code, stderr).toBe(5)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/E_CHECKSUM/)
    expect(await readdir(join(environment.JSL_MED_DATA_DIR, 'datasets'))).toEqual([])
  })
})
