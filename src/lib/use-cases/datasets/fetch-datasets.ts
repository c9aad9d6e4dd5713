import {access, readFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'

import {BENCH_TASKS, checkDatasetCatalog, DATASET_CATALOG, DATASETS_CATALOG_ENV, type BenchTaskName, type DatasetCatalog, type DatasetFile} from '../../bench/index.js'
import {ConfigError, ModelNotFoundError, UsageError} from '../../errors/index.js'
import {resolveDirs} from '../../paths/index.js'
import {fetchFile, hasVerifiedFile, offlineByEnv, type DownloadProgress, type StoreLog} from '../../store/index.js'

/** Options of {@link fetchDatasets}. */
export interface FetchDatasetsOptions {
  tasks: readonly BenchTaskName[]
  /** Few-shot counts of the run; the files only few-shot prompts read are fetched when one is above 0. Default `[0]`. */
  shots?: readonly number[]
  /** Where the datasets are kept, laid out like data/bench; default `<data dir>/datasets` (JSL_MED_DATA_DIR). */
  datasetsDir?: string
  /** Never use the network (also `JSL_MED_OFFLINE=1`, `HF_HUB_OFFLINE=1`): missing files fail with exit 4; default false. */
  offline?: boolean
  /** Default the built-in {@link DATASET_CATALOG}, with the entries of the `JSL_MED_DATASETS_CATALOG` file over it. */
  catalog?: DatasetCatalog
  /** Environment for the data dir, `HF_ENDPOINT`, `HF_TOKEN` and the offline switches; default `process.env`. */
  env?: NodeJS.ProcessEnv
  /** HTTP client; default the global `fetch`. */
  fetch?: typeof fetch
  /** Automatic resumptions per file after a lost connection or a 5xx/429 answer; default 3. */
  retries?: number
  /** First delay between retries, doubled each time; default 1000 ms. */
  retryDelayMs?: number
  /** Aborts, keeping partial files for a later resume (throws InterruptedError). */
  signal?: AbortSignal
  onProgress?: (progress: DownloadProgress) => void
  log?: StoreLog
}

/** One dataset file in place. */
export interface FetchedDatasetFile {
  task: BenchTaskName
  /** Path inside the datasets folder (`medqa_us4_test.jsonl`). */
  file: string
  path: string
  /** False when it was already there. */
  downloaded: boolean
  transferredBytes: number
}

/** What {@link fetchDatasets} did. */
export interface FetchDatasetsResult {
  /** The folder to read the datasets from (what `--data-dir` would be). */
  dataDir: string
  files: FetchedDatasetFile[]
}

/** The tasks that read a dataset (all but `speed`, and `quality`, whose text is built in or `--text`). */
export function datasetTasks(tasks: readonly BenchTaskName[]): BenchTaskName[] {
  return tasks.filter((task) => task !== 'speed' && task !== 'quality')
}

const exists = async (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  )

/**
 * Makes sure the datasets of `tasks` are in the datasets folder, downloading the missing ones once from their
 * catalogued public source (resume, sha256 check and atomic rename as `pull`). Everything that could fail without
 * the network is checked before the first request: a dataset with no known download that is not already there is
 * a UsageError (exit 2) asking for `--data-dir`, and offline mode with a file missing is a ModelNotFoundError
 * (exit 4, the code of "not installed and offline"), with no request made.
 */
export async function fetchDatasets(options: FetchDatasetsOptions): Promise<FetchDatasetsResult> {
  const env = options.env ?? process.env
  const log = options.log ?? (() => {})
  const catalog = options.catalog ?? (await readCatalog(env))
  const dataDir = options.datasetsDir ?? join(resolveDirs({env}).dataDir, 'datasets')
  const withShots = (options.shots ?? [0]).some((count) => count > 0)
  const offline = Boolean(options.offline) || offlineByEnv(env)
  const present: FetchedDatasetFile[] = []
  const missing: Array<{task: BenchTaskName; entry: DatasetFile}> = []
  for (const task of datasetTasks(options.tasks)) {
    const dataset = catalog[task]
    const files = (dataset?.files ?? []).filter((file) => withShots || !file.forShots)
    const downloadable = dataset !== undefined && !dataset.notDownloadable && files.length > 0 && files.every((file) => file.hub)
    if (!downloadable) {
      // Files put there by hand are read as --data-dir would read them; only a download needs the catalog's sha256.
      const there = files.length > 0 && (await Promise.all(files.map(async ({file}) => exists(join(dataDir, file))))).every(Boolean)
      if (!there) throw notDownloadableError(task, dataset?.notDownloadable ?? 'it has no catalogued public source', dataset?.homepage, dataDir)
      present.push(...files.map(({file}) => ({task, file, path: join(dataDir, file), downloaded: false, transferredBytes: 0})))
      continue
    }

    for (const entry of files) {
      const path = join(dataDir, entry.file)
      if (await hasVerifiedFile(path, entry.sha256)) present.push({task, file: entry.file, path, downloaded: false, transferredBytes: 0})
      else missing.push({task, entry})
    }
  }

  if (missing.length > 0 && offline) {
    const tasks = [...new Set(missing.map(({task}) => task))]
    throw new ModelNotFoundError(`the ${tasks.join(', ')} ${tasks.length === 1 ? 'dataset is' : 'datasets are'} not in ${dataDir}, and offline mode forbids downloading ${tasks.length === 1 ? 'it' : 'them'}`, {
      hint: 'Run once without --offline (and without JSL_MED_OFFLINE / HF_HUB_OFFLINE) to download it, or pass --data-dir DIR with the files.',
      details: {missing: missing.map(({entry}) => entry.file), dataDir},
    }, 'E_OFFLINE')
  }

  const fetched: FetchedDatasetFile[] = []
  for (const {task, entry} of missing) {
    const result = await fetchFile({
      name: entry.file,
      dest: join(dataDir, entry.file),
      source: {hub: entry.hub!},
      sha256: entry.sha256,
      sizeBytes: entry.sizeBytes,
      shaFrom: 'the dataset catalog',
      changedUpstreamHint: 'The dataset changed upstream; nothing was kept. Pass --data-dir DIR with the original files, or report the catalog entry.',
      env,
      fetch: options.fetch,
      retries: options.retries,
      retryDelayMs: options.retryDelayMs,
      signal: options.signal,
      onProgress: options.onProgress,
      log,
    })
    fetched.push({task, file: entry.file, path: result.path, downloaded: result.downloaded, transferredBytes: result.transferredBytes})
  }

  return {dataDir, files: [...present, ...fetched]}
}

/** The built-in catalog, with the entries of the `JSL_MED_DATASETS_CATALOG` file (a mirror's own files) over it. */
async function readCatalog(env: NodeJS.ProcessEnv): Promise<DatasetCatalog> {
  const file = env[DATASETS_CATALOG_ENV]
  if (!file) return DATASET_CATALOG
  const path = resolve(file)
  const fail = (problem: string, cause?: unknown): ConfigError =>
    new ConfigError(`${DATASETS_CATALOG_ENV} (${path}): ${problem}`, {cause, hint: `Fix the file, or unset ${DATASETS_CATALOG_ENV} to use the built-in dataset catalog.`}, 'E_DATASETS_CATALOG')
  let value: unknown
  try {
    value = JSON.parse(await readFile(path, 'utf8'))
  } catch (error) {
    throw fail(error instanceof SyntaxError ? 'not valid JSON' : 'cannot be read', error)
  }

  const checked = checkDatasetCatalog(value, BENCH_TASKS)
  if ('problem' in checked) throw fail(checked.problem)
  return {...DATASET_CATALOG, ...checked.catalog}
}

function notDownloadableError(task: BenchTaskName, reason: string, homepage: string | undefined, dataDir: string): UsageError {
  return new UsageError(`jsl-med cannot download the ${task} dataset: ${reason}`, {
    hint: `Fetch it${homepage ? ` from ${homepage}` : ''} and pass --data-dir DIR (a folder laid out like data/bench, original file names), or put the files into ${dataDir}.`,
    details: {task, dataDir},
  }, 'E_DATASET_NOT_DOWNLOADABLE')
}
