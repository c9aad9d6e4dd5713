import {mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {loadChoiceItems, type DatasetCatalog} from '../../src/lib/bench/index.js'
import {fetchDatasets, type FetchDatasetsOptions} from '../../src/lib/use-cases/index.js'
import {failure} from '../helpers/failure.js'
import {sha256, startHfMock, type HfMock} from '../helpers/hf-mock-server.js'

const REPO = 'datasets/acme/medqa-mirror'
const FILE = 'medqa_us4_test.jsonl'

/** Made-up questions in MedQA's format (jind11's jsonl), a few KB so that a cut lands mid-file. */
function medQaFixture(count: number): Buffer {
  const lines = Array.from({length: count}, (_, index) =>
    JSON.stringify({
      question: `Question ${index + 1}: which option is the fixture's answer?`,
      answer: `Option ${index % 4}`,
      options: {A: 'Option 0', B: 'Option 1', C: 'Option 2', D: 'Option 3'},
      meta_info: 'step1',
      answer_idx: 'ABCD'[index % 4],
    }),
  )
  return Buffer.from(lines.join('\n') + '\n')
}

const content = medQaFixture(60)
let mock: HfMock
let dir: string
let dataHome: string

function catalogFor(file: Buffer, sha = sha256(file)): DatasetCatalog {
  return {
    medqa: {title: 'fixture MedQA', license: 'MIT', homepage: 'https://example.org/medqa', files: [{file: FILE, sizeBytes: file.length, sha256: sha, hub: {repo: REPO, revision: 'main', path: 'test.jsonl'}}]},
  }
}

function fetchOptions(overrides: Partial<FetchDatasetsOptions> = {}): FetchDatasetsOptions {
  return {
    tasks: ['medqa'],
    catalog: catalogFor(content),
    env: {HF_ENDPOINT: mock.endpoint, JSL_MED_DATA_DIR: dataHome, HF_HOME: join(dir, 'hf-home')},
    retries: 0,
    retryDelayMs: 10,
    ...overrides,
  }
}

const datasetsDir = (): string => join(dataHome, 'datasets')
const cdnGets = (): number => mock.log.filter((entry) => entry.server === 'cdn' && entry.method === 'GET').length

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jsl-med-datasets-'))
  mock = await startHfMock({repos: {[REPO]: {files: {'test.jsonl': content}}}})
})
afterAll(async () => {
  await mock.close()
  await rm(dir, {recursive: true, force: true})
})
beforeEach(async () => {
  dataHome = await mkdtemp(join(dir, 'data-'))
  mock.setFault(undefined)
  mock.log.length = 0
})
afterEach(() => mock.setFault(undefined))

describe('fetchDatasets (a 127.0.0.1 hub)', () => {
  it('downloads medqa once into <data dir>/datasets, verified, where the loader reads it; a second run makes no request', async () => {
    const first = await fetchDatasets(fetchOptions())
    expect(first.dataDir).toBe(datasetsDir())
    expect(first.files).toEqual([expect.objectContaining({task: 'medqa', file: FILE, downloaded: true, transferredBytes: content.length})])
    expect(sha256(await readFile(join(datasetsDir(), FILE)))).toBe(sha256(content))
    expect((await readdir(datasetsDir())).sort()).toEqual([FILE])
    const {items} = await loadChoiceItems('medqa', first.dataDir, {limit: 2})
    expect(items).toHaveLength(2)

    const requests = mock.log.length
    expect(requests).toBeGreaterThan(0)
    const second = await fetchDatasets(fetchOptions())
    expect(second.files).toEqual([expect.objectContaining({downloaded: false, transferredBytes: 0})])
    expect(mock.log.length).toBe(requests)
  })

  it('cut mid-file: the part is kept (exit 5), and the next run resumes it with a Range request', async () => {
    mock.setFault({kind: 'cut', afterFraction: 0.5, times: 1})
    const cut = await failure(fetchDatasets(fetchOptions()))
    expect(cut).toMatchObject({exitCode: 5, code: 'E_DOWNLOAD_INTERRUPTED'})
    const partBytes = (await stat(join(datasetsDir(), `${FILE}.part`))).size
    expect(partBytes).toBeGreaterThan(0)
    expect(partBytes).toBeLessThan(content.length)
    await expect(stat(join(datasetsDir(), FILE))).rejects.toMatchObject({code: 'ENOENT'})

    const resumed = await fetchDatasets(fetchOptions())
    const ranged = mock.log.filter((entry) => entry.server === 'cdn' && entry.range)
    expect(ranged.map((entry) => [entry.range, entry.status])).toEqual([[`bytes=${partBytes}-`, 206]])
    expect(resumed.files[0]).toMatchObject({downloaded: true, transferredBytes: content.length - partBytes})
    expect(sha256(await readFile(join(datasetsDir(), FILE)))).toBe(sha256(content))
    expect((await readdir(datasetsDir())).sort()).toEqual([FILE])
  })

  it('resumes within one run when retries are allowed', async () => {
    mock.setFault({kind: 'cut', afterFraction: 0.3, times: 1})
    const result = await fetchDatasets(fetchOptions({retries: 2}))
    expect(result.files[0].downloaded).toBe(true)
    expect(mock.log.some((entry) => entry.server === 'cdn' && entry.range?.startsWith('bytes=') && entry.status === 206)).toBe(true)
    expect(sha256(await readFile(join(datasetsDir(), FILE)))).toBe(sha256(content))
  })

  it('wrong sha256 in the catalog: refused before a byte is sent (exit 5), nothing kept', async () => {
    const error = await failure(fetchDatasets(fetchOptions({catalog: catalogFor(content, 'f'.repeat(64))})))
    expect(error).toMatchObject({exitCode: 5, code: 'E_CHECKSUM'})
    expect(cdnGets()).toBe(0)
    expect(await readdir(datasetsDir())).toEqual([])
  })

  it('bytes that do not match the sha256 (corrupted in transit): exit 5, no file and no part; the next run starts from byte 0', async () => {
    mock.setFault({kind: 'corrupt', times: 1})
    const error = await failure(fetchDatasets(fetchOptions()))
    expect(error).toMatchObject({exitCode: 5, code: 'E_CHECKSUM'})
    expect(await readdir(datasetsDir())).toEqual([])

    mock.log.length = 0
    await fetchDatasets(fetchOptions())
    expect(mock.log.filter((entry) => entry.server === 'cdn').map((entry) => entry.range)).toEqual([undefined])
    expect(sha256(await readFile(join(datasetsDir(), FILE)))).toBe(sha256(content))
  })

  it('a file already there with another sha256 is replaced, not trusted', async () => {
    await mkdir(datasetsDir(), {recursive: true})
    await writeFile(join(datasetsDir(), FILE), medQaFixture(3))
    const result = await fetchDatasets(fetchOptions())
    expect(result.files[0].downloaded).toBe(true)
    expect(sha256(await readFile(join(datasetsDir(), FILE)))).toBe(sha256(content))
  })

  it('offline (--offline, JSL_MED_OFFLINE or HF_HUB_OFFLINE) with the file missing: exit 4 without a request', async () => {
    const env = fetchOptions().env!
    for (const options of [{offline: true}, {env: {...env, JSL_MED_OFFLINE: '1'}}, {env: {...env, HF_HUB_OFFLINE: 'true'}}]) {
      const error = await failure(fetchDatasets(fetchOptions(options)))
      expect(error).toMatchObject({exitCode: 4, code: 'E_OFFLINE', hint: expect.stringContaining('--data-dir')})
    }

    expect(mock.log).toEqual([])
  })

  it('offline with the file downloaded already: reads it without a request', async () => {
    await fetchDatasets(fetchOptions())
    mock.log.length = 0
    const result = await fetchDatasets(fetchOptions({offline: true}))
    expect(result.files[0]).toMatchObject({downloaded: false})
    expect(mock.log).toEqual([])
  })

  it('a dataset with no public single-file source: exit 2 naming --data-dir, no request; files put there by hand are used', async () => {
    const error = await failure(fetchDatasets(fetchOptions({tasks: ['medmcqa'], catalog: undefined})))
    expect(error).toMatchObject({exitCode: 2, code: 'E_DATASET_NOT_DOWNLOADABLE', hint: expect.stringContaining('--data-dir')})
    expect(mock.log).toEqual([])

    await mkdir(datasetsDir(), {recursive: true})
    await writeFile(join(datasetsDir(), 'medmcqa_dev.jsonl'), '')
    const result = await fetchDatasets(fetchOptions({tasks: ['medmcqa', 'speed'], catalog: undefined}))
    expect(result.files).toEqual([expect.objectContaining({task: 'medmcqa', downloaded: false})])
  })

  it('JSL_MED_DATASETS_CATALOG replaces entries by task, and a bad one is a config error (exit 3)', async () => {
    const file = join(dir, 'catalog.json')
    await writeFile(file, JSON.stringify(catalogFor(content)))
    const env = {...fetchOptions().env, JSL_MED_DATASETS_CATALOG: file}
    const result = await fetchDatasets(fetchOptions({catalog: undefined, env}))
    expect(result.files[0]).toMatchObject({downloaded: true})

    const entry = catalogFor(content).medqa!
    for (const bad of ['{', '[]', JSON.stringify({medqa: {...entry, files: [{...entry.files[0], sha256: 'abc'}]}}), JSON.stringify({nope: entry})]) {
      await writeFile(file, bad)
      expect(await failure(fetchDatasets(fetchOptions({catalog: undefined, env})))).toMatchObject({exitCode: 3, code: 'E_DATASETS_CATALOG'})
    }
  })
})
