import type {Dirs} from '../paths/index.js'

/** A quantization class: ~4-bit, 8-bit or 16-bit weights. */
export type Quant = 'q4' | 'q8' | 'q16'

/** What `--quant` accepts: a tier, or `auto` (an installed tier, else the hardware advisor's choice, else the smallest tier). */
export type QuantChoice = Quant | 'auto'

/** The part of a catalog file entry the store reads (structurally the catalog's `CatalogFile`). */
export interface StoreCatalogFile {
  /** Path of the file in the repo. */
  file: string
  /** The quantization in the file name, e.g. `Q4_K_M`. */
  quantName: string
  sizeBytes?: number
  /** Expected sha256 (hex); checked after download and import. */
  sha256?: string
  /** `sizeBytes` is exact (enforced); otherwise it is approximate and only informs. */
  verified?: boolean
}

/** The part of a catalog model the store reads (structurally the catalog's `CatalogModel`). */
export interface StoreCatalogModel {
  id: string
  aliases?: string[]
  name: string
  /** Hugging Face repo (`owner/name`); absent for models the user must supply (see `userSupplied`). */
  repo?: string
  /** Revision to download: a commit (pinned) or a branch. */
  revision: string
  license: string
  gated: boolean
  variants: Partial<Record<Quant, StoreCatalogFile>>
  /** The vision projector a multimodal model needs; pulled along with the model. */
  mmproj?: StoreCatalogFile
  /** Set for models that cannot be downloaded; `note` says how to get them. */
  userSupplied?: {note: string}
}

/** The catalog as the store uses it; inject a fixture in tests. */
export interface StoreCatalog {
  listModels(): readonly StoreCatalogModel[]
  findModel(aliasOrId: string): StoreCatalogModel | undefined
}

/** Where an installed file's expected sha256 came from. `computed`: nothing to check against; jsl-med recorded what it got. */
export type ChecksumSource = 'catalog' | 'computed' | 'hub'

/** One file of an installed model, as the manifest stores it. */
export interface InstalledFile {
  /** Path relative to the models directory, with `/` separators. */
  file: string
  sizeBytes: number
  sha256: string
  checksumSource: ChecksumSource
}

/** Where an installed model came from. */
export interface ModelSource {
  kind: 'catalog' | 'file' | 'hf' | 'url'
  /** Canonical reference: `hf:owner/repo/path`, the URL (without query or credentials), or the imported file's path. */
  ref: string
  /** Hugging Face repo, for `catalog` and `hf`. */
  repo?: string
  /** The revision asked for (branch, tag or commit). */
  revision?: string
  /** The commit the hub resolved the revision to (`X-Repo-Commit`), when it said. */
  commit?: string
}

/** One entry of the manifest (`<modelsDir>/manifest.json`). */
export interface ManifestEntry extends InstalledFile {
  /** The name to pass to `--model`: `<catalog id>:<quant>`, the `--as` alias, or the canonical reference. */
  id: string
  /** Other references that were pulled to this entry (e.g. `hf:owner/repo:Q4_K_M`); `--model` accepts them too. */
  refs: string[]
  catalogId?: string
  quant?: Quant
  /** Quantization named in the file name, e.g. `Q4_K_M`. */
  quantName?: string
  source: ModelSource
  license?: string
  mmproj?: InstalledFile
  /** ISO 8601 time of installation. */
  installedAt: string
}

/** The installed-models manifest; written whole, to a temporary file renamed over the old one. */
export interface Manifest {
  version: 1
  models: ManifestEntry[]
}

/** An installed model with absolute paths, as `listInstalledModels` returns it. */
export interface InstalledModel extends Omit<ManifestEntry, 'file' | 'mmproj'> {
  /** Absolute path of the GGUF file. */
  path: string
  /** False when the file has disappeared from disk since it was installed. */
  present: boolean
  mmproj?: Omit<InstalledFile, 'file'> & {path: string}
}

/** A progress report of one file transfer. */
export interface DownloadProgress {
  /** File name shown to the user. */
  name: string
  /** `hashing`: re-reading bytes already on disk to resume the checksum; `downloading`/`copying`: moving bytes. */
  phase: 'copying' | 'downloading' | 'hashing'
  /** Bytes of the file now on disk (resumed bytes included). */
  doneBytes: number
  /** Size of the whole file, when known. */
  totalBytes?: number
  /** Bytes that were already on disk when this transfer started. */
  resumedFromBytes: number
  /** Average transfer speed of this run. */
  bytesPerSecond: number
  /** Estimated time left, when the size is known and bytes are moving. */
  etaMs?: number
}

/** Receives diagnostics for stderr; the store never writes to a stream itself. */
export type StoreLog = (level: 'debug' | 'info' | 'warn', message: string) => void

/** Options every store function takes; all default to the live environment. */
export interface StoreOptions {
  /** Directories; default `resolveDirs()` (only `modelsDir` is used). */
  dirs?: Pick<Dirs, 'modelsDir'>
  /** The model catalog; default the built-in one. */
  catalog?: StoreCatalog
  /** Environment for `HF_ENDPOINT`, `HF_TOKEN`, `HF_HOME`, `JSL_MED_OFFLINE`, `HF_HUB_OFFLINE`; default `process.env`. */
  env?: NodeJS.ProcessEnv
}

/** How a download is retried and reported: what `pullModel` and `fetchFile` both take. */
export interface TransferOptions {
  /** Automatic resumptions after a lost connection or a 5xx/429 answer; default 3. */
  retries?: number
  /** First delay between retries, doubled each time; default 1000 ms. */
  retryDelayMs?: number
  /** A transfer that receives nothing for this long is dropped and retried; default 60 000 ms. */
  idleTimeoutMs?: number
  onProgress?: (progress: DownloadProgress) => void
  log?: StoreLog
  /** HTTP client; default the global `fetch`. */
  fetch?: typeof fetch
}

/** Options of `pullModel`. */
export interface PullOptions extends StoreOptions, TransferOptions {
  /** Catalog alias (`name` or `name:q8`), `hf:owner/repo/file.gguf`, `hf:owner/repo:Q4_K_M`, an http(s) URL, or a local `.gguf`. */
  ref: string
  /** Quantization for catalog models and `hf:owner/repo` without a tag; default `auto`. */
  quant?: QuantChoice
  /** Name to install under (required meaning for imports; optional for downloads). */
  as?: string
  /** Vision projector to import along with a local model. */
  mmproj?: string
  /** Never use the network (also `JSL_MED_OFFLINE=1` or `HF_HUB_OFFLINE=1`); default false. */
  offline?: boolean
  /** Download or copy again even when installed; default false. */
  force?: boolean
  /** Aborts the pull, keeping the partial file for a later resume (throws InterruptedError). */
  signal?: AbortSignal
  /**
   * Chooses the tier of a catalog model for `--quant auto` among the `available` ones (the CLI passes the hardware
   * advisor); default, or when it returns undefined: the smallest tier published.
   */
  chooseQuant?: (model: StoreCatalogModel, available: Quant[]) => Promise<{quant: Quant; reason: string} | undefined>
}

/** What `pullModel` returns, and `pull --json` prints. */
export interface PullResult {
  /** The name to pass to `--model`. */
  id: string
  /** Absolute path of the installed GGUF file. */
  path: string
  sizeBytes: number
  sha256: string
  /** True when the sha256 was checked against a published one (catalog or hub), false when only recorded. */
  verified: boolean
  checksumSource: ChecksumSource
  /** Canonical reference of what was installed (see {@link ModelSource.ref}). */
  source: string
  sourceKind: ModelSource['kind']
  repo?: string
  revision?: string
  commit?: string
  license?: string
  catalogId?: string
  quant?: Quant
  quantName?: string
  mmproj?: {path: string; sizeBytes: number; sha256: string; verified: boolean}
  /** True when nothing had to be transferred. */
  alreadyInstalled: boolean
  /** Bytes transferred by this run (network or copy). */
  transferredBytes: number
  /** Bytes that an earlier, interrupted run had left on disk and this run reused. */
  resumedFromBytes: number
  durationMs: number
}

/** One removed model, as `removeModels` returns it. */
export interface RemovedModel {
  id: string
  /** Files deleted from disk (a file another entry still uses is kept). */
  deletedFiles: string[]
  freedBytes: number
}
