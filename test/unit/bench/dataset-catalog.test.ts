import {describe, expect, it} from 'vitest'

import {BENCH_TASKS, checkDatasetCatalog, DATASET_CATALOG, DATASET_FILES, MMLU_MEDICAL_SUBJECTS, type DatasetEntry} from '../../../src/lib/bench/index.js'
import {datasetTasks} from '../../../src/lib/use-cases/index.js'

/** Every file the loaders read. */
const loaderFiles = new Set<string>([
  ...Object.values(DATASET_FILES).flatMap((value): string[] => (typeof value === 'function' ? [] : typeof value === 'string' ? [value] : [...value])),
  ...MMLU_MEDICAL_SUBJECTS.flatMap((subject) => [DATASET_FILES.mmluTest(subject), DATASET_FILES.mmluDev(subject)]),
])

describe('the dataset catalog', () => {
  it('has an entry for every task that reads data, and passes its own check', () => {
    expect(Object.keys(DATASET_CATALOG).sort()).toEqual(datasetTasks(BENCH_TASKS).sort())
    expect(checkDatasetCatalog(DATASET_CATALOG, BENCH_TASKS)).toEqual({catalog: DATASET_CATALOG})
  })

  it('names files where the loaders look, each with a size and a sha256, and only once', () => {
    const files = Object.values(DATASET_CATALOG).flatMap((entry) => entry!.files)
    expect(new Set(files.map((file) => file.file)).size).toBe(files.length)
    for (const file of files) {
      expect(file.sha256).toMatch(/^[\da-f]{64}$/)
      expect(file.sizeBytes).toBeGreaterThan(0)
      expect(loaderFiles.has(file.file), file.file).toBe(true)
    }
  })

  it('gives either a hub source for every file or the reason there is none, never both or neither', () => {
    for (const [task, entry] of Object.entries(DATASET_CATALOG) as Array<[string, DatasetEntry]>) {
      const withSource = entry.files.filter((file) => file.hub)
      if (entry.notDownloadable) expect(withSource, task).toEqual([])
      else {
        expect(entry.files.length, task).toBeGreaterThan(0)
        expect(withSource, task).toEqual(entry.files)
        for (const {hub} of withSource) expect(hub!.repo, task).toMatch(/^datasets\/[^/]+\/[^/]+$/)
      }
    }

    expect(DATASET_CATALOG.medqa?.notDownloadable).toBeUndefined()
  })
})

describe('checkDatasetCatalog', () => {
  const entry: DatasetEntry = {title: 't', license: 'MIT', homepage: 'https://example.org', files: [{file: 'medqa_us4_test.jsonl', sizeBytes: 3, sha256: 'a'.repeat(64), hub: {repo: 'datasets/a/b', revision: 'main', path: 'x'}}]}

  it('accepts well-formed entries', () => {
    expect(checkDatasetCatalog({medqa: entry}, BENCH_TASKS)).toEqual({catalog: {medqa: entry}})
  })

  it.each([
    ['not an object', []],
    ['an unknown task', {nope: entry}],
    ['an entry without files', {medqa: {...entry, files: undefined}}],
    ['a file without a sha256', {medqa: {...entry, files: [{...entry.files[0], sha256: undefined}]}}],
    ['an upper-case or short sha256', {medqa: {...entry, files: [{...entry.files[0], sha256: 'A'.repeat(64)}]}}],
    ['a path that climbs out', {medqa: {...entry, files: [{...entry.files[0], file: '../x.jsonl'}]}}],
    ['an absolute path', {medqa: {...entry, files: [{...entry.files[0], file: '/etc/x'}]}}],
    ['a hub without a revision', {medqa: {...entry, files: [{...entry.files[0], hub: {repo: 'datasets/a/b', path: 'x'}}]}}],
    ['a size that is not a whole number', {medqa: {...entry, files: [{...entry.files[0], sizeBytes: 1.5}]}}],
  ])('refuses %s', (_, value) => {
    expect(checkDatasetCatalog(value, BENCH_TASKS)).toEqual({problem: expect.any(String)})
  })
})
