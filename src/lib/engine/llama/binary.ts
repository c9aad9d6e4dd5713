import {open, readdir, readFile, stat} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'

import type {Llama, LlamaOptions} from 'node-llama-cpp'

import {ConfigError, EngineError} from '../../errors/index.js'

/** The environment variable that picks the llama.cpp binary. */
export const LLAMA_BINARY_ENV = 'JSL_MED_LLAMA_BINARY'

/** The values {@link LLAMA_BINARY_ENV} takes. */
export const LLAMA_BINARY_CHOICES = ['auto', 'prebuilt', 'native'] as const

/**
 * Which llama.cpp binary to run: `auto` (the native build when one exists and was not measured slower than the
 * prebuilt when it was built, else the prebuilt), `prebuilt`
 * (node-llama-cpp's, built without OpenMP) or `native` (built on this machine by `npm run build:native`).
 */
export type LlamaBinaryChoice = (typeof LLAMA_BINARY_CHOICES)[number]

/** The llama.cpp binary in use. */
export interface LlamaBinary {
  /** `native`: node-llama-cpp's local build (`npm run build:native`); `prebuilt`: its prebuilt binary. */
  kind: 'native' | 'prebuilt'
  /** The binary's thread pool is OpenMP's (it waits instead of spinning when a core is taken). */
  openmp: boolean
}

/** Which binary a CPU load would take, told from the files on disk (llama.cpp not loaded) or by llama.cpp itself. */
export interface LlamaBinaryStatus {
  /** The binary, or null when `native` is asked for and none is built (loading would fail). */
  kind: LlamaBinary['kind'] | null
  /** Whether that binary uses OpenMP; null when unknown. */
  openmp: boolean | null
  /** The value of {@link LLAMA_BINARY_ENV} (default `auto`). */
  choice: LlamaBinaryChoice
  /** A native build exists. */
  nativeBuilt: boolean
  /** What `npm run build:native` measured of both binaries, when it did (why `auto` may pass a native build over). */
  comparison?: BinaryComparison
  /** `llama.cpp`: it was loaded and said so; `files`: read from the binaries on disk. */
  checkedBy: 'files' | 'llama.cpp'
}

/** The getLlama options that pick a binary. */
export type LlamaBinaryOptions = Pick<LlamaOptions, 'build' | 'cmakeOptions' | 'usePrebuiltBinaries'>

/** Speed of the native and the prebuilt binary on one model, measured interleaved by `npm run build:native`. */
export interface BinaryComparison {
  /** ISO 8601 time of the measurement. */
  measuredAt: string
  /** The model measured (a synthetic shape and quant). */
  model: string
  /** pp/tg tokens/s, median over the rounds, each binary at the threads it chose itself. */
  native: {pp: number; tg: number}
  prebuilt: {pp: number; tg: number}
  /** The binary `auto` takes: the native build unless the prebuilt was faster by {@link PREBUILT_WINS_BY}. */
  preferred: LlamaBinary['kind']
}

/**
 * How much faster (geometric mean of the pp and tg ratios) the prebuilt binary must have been for `auto` to take it
 * over a native build. The native build is the one that holds when other processes take cores, so it wins ties; but
 * on a 2-core Xeon VM with AMX the prebuilt ran 1.6–2.7× faster (its AMX kernels work, the OpenMP build's crash
 * there and are left out), idle and next to a busy core.
 */
export const PREBUILT_WINS_BY = 1.1

/** The file in the native build's folder that holds its {@link BinaryComparison}; removing the build removes it. */
export const BINARY_COMPARISON_FILE = 'jsl-med-comparison.json'

/** Which binary `auto` takes from a comparison's figures (see {@link PREBUILT_WINS_BY}). */
export function preferredBinary(native: {pp: number; tg: number}, prebuilt: {pp: number; tg: number}): LlamaBinary['kind'] {
  const gain = Math.sqrt((prebuilt.pp / native.pp) * (prebuilt.tg / native.tg))
  return gain >= PREBUILT_WINS_BY ? 'prebuilt' : 'native'
}

/** The native build on disk: where node-llama-cpp keeps it, whether it is complete, whether one is being built. */
export interface NativeLlamaBuild {
  /** `node_modules/node-llama-cpp/llama/localBuilds/<platform>-<arch>` (the CPU build). */
  dir: string
  /** The binary, its metadata and node-llama-cpp's "build done" mark are all there. */
  built: boolean
  /** A build holds the folder's lock right now (node-llama-cpp waits for it before loading any CPU binary). */
  building: boolean
  /** `npm run build:native`'s measurement of both binaries, when the build has one. */
  comparison?: BinaryComparison
}

/**
 * A cmake option no build uses. node-llama-cpp looks for a local build in a folder named after the custom cmake
 * options (so with this one it finds none), but matches prebuilt binaries without them: passing it forces the prebuilt.
 */
const PREBUILT_ONLY_CMAKE_OPTION = 'JSL_MED_PREBUILT'

// proper-lockfile (node-llama-cpp's lock) refreshes the lock every 5 s and calls it stale after 10 s.
const LOCK_STALE_MS = 10_000

/** Reads {@link LLAMA_BINARY_ENV} (default `auto`); throws a ConfigError (exit 3) for any other value. */
export function readLlamaBinaryChoice(env: NodeJS.ProcessEnv = process.env): LlamaBinaryChoice {
  const value = (env[LLAMA_BINARY_ENV] ?? '').trim().toLowerCase()
  if (value === '') return 'auto'
  if ((LLAMA_BINARY_CHOICES as readonly string[]).includes(value)) return value as LlamaBinaryChoice
  throw new ConfigError(`${LLAMA_BINARY_ENV}=${env[LLAMA_BINARY_ENV]} is not one of ${LLAMA_BINARY_CHOICES.join(', ')}`, {
    hint: `Unset ${LLAMA_BINARY_ENV} (auto: the native build when there is one), or set it to prebuilt or native.`,
  })
}

/** What {@link llamaBinaryOptions} weighs besides the choice. */
export interface LlamaBinaryState {
  /** A native build holds its lock (node-llama-cpp would wait for it). */
  nativeBuilding?: boolean
  /** The binary this process loaded first ({@link firstLoadedLlamaBinary}). */
  loadedBefore?: LlamaBinary['kind']
  /** The native build was measured slower than the prebuilt ({@link BinaryComparison}). */
  nativeSlower?: boolean
}

/**
 * The getLlama options for a choice; never a build from source. `auto` leaves node-llama-cpp to prefer a local build,
 * except while one is being built (it would wait for the build), when it was measured slower than the prebuilt, or
 * when this process already runs the prebuilt: both binaries load libraries of the same names (libggml-base.so,
 * libllama…), so a second one would run the first's code.
 */
export function llamaBinaryOptions(choice: LlamaBinaryChoice, state: LlamaBinaryState = {}): LlamaBinaryOptions {
  if (choice === 'native') return {build: 'never', usePrebuiltBinaries: false}
  if (choice === 'prebuilt' || state.nativeBuilding || state.nativeSlower || state.loadedBefore === 'prebuilt') {
    return {build: 'never', cmakeOptions: {[PREBUILT_ONLY_CMAKE_OPTION]: '1'}}
  }

  return {build: 'never'}
}

let firstLoaded: LlamaBinary['kind'] | undefined

/** Remembers the first binary this process loaded (later loads under `auto` keep to it). */
export function noteLoadedLlamaBinary(binary: LlamaBinary): void {
  firstLoaded ??= binary.kind
}

/** The first binary this process loaded, if any. */
export function firstLoadedLlamaBinary(): LlamaBinary['kind'] | undefined {
  return firstLoaded
}

/** What a loaded llama.cpp is: its build type, and `OPENMP = 1` in its system info. */
export function describeLlamaBinary(llama: Pick<Llama, 'buildType' | 'systemInfo'>): LlamaBinary {
  return {kind: llama.buildType === 'localBuild' ? 'native' : 'prebuilt', openmp: /\bOPENMP = 1\b/.test(llama.systemInfo)}
}

/** The EngineError (exit 7) for `JSL_MED_LLAMA_BINARY=native` without a usable native build. */
export function noNativeBinaryError(detail: string, cause?: unknown): EngineError {
  return new EngineError(`${LLAMA_BINARY_ENV}=native, but ${detail}`, {
    cause,
    hint: `Run \`npm run build:native\` in the jsl-med folder (about 10 minutes, offline), or unset ${LLAMA_BINARY_ENV} to use the prebuilt binary.`,
  }, 'E_NO_NATIVE_BINARY')
}

/** Finds node-llama-cpp's local CPU build of this machine (the one `npm run build:native` writes). Never loads it. */
export async function findNativeLlamaBuild(): Promise<NativeLlamaBuild> {
  const nlcDir = dirname(dirname(nodeLlamaCppEntry()))
  const dir = join(nlcDir, 'llama', 'localBuilds', `${nodeLlamaCppPlatform()}-${process.arch}`)
  const [binary, metadata, done, lock] = await Promise.all(
    [join(dir, 'Release', 'llama-addon.node'), join(dir, 'Release', '_nlcBuildMetadata.json'), join(dir, 'buildDone.status'), `${dir}.lock`].map((path) =>
      stat(path).catch(() => null),
    ),
  )
  const building = lock !== null && Date.now() - lock.mtimeMs < LOCK_STALE_MS
  const built = Boolean(binary && metadata && done) && !building
  const comparison = built ? await readBinaryComparison(join(dir, BINARY_COMPARISON_FILE)) : undefined
  return {dir, built, building, ...(comparison ? {comparison} : {})}
}

async function readBinaryComparison(path: string): Promise<BinaryComparison | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  try {
    const value = JSON.parse(text) as BinaryComparison
    return value.preferred === 'native' || value.preferred === 'prebuilt' ? value : undefined
  } catch {
    // A torn or hand-edited file: as if there were no comparison (auto keeps the native build).
    return undefined
  }
}

/**
 * Tells, without loading llama.cpp, which binary a CPU load would take under {@link LLAMA_BINARY_ENV}, and whether it
 * links OpenMP (libgomp). Throws a ConfigError for a bad variable value.
 */
export async function inspectLlamaBinary(env: NodeJS.ProcessEnv = process.env): Promise<LlamaBinaryStatus> {
  const choice = readLlamaBinaryChoice(env)
  const native = await findNativeLlamaBuild()
  const passedOver = choice === 'auto' && native.comparison?.preferred === 'prebuilt'
  const kind = choice === 'prebuilt' || (choice === 'auto' && (!native.built || passedOver)) ? 'prebuilt' : native.built ? 'native' : null
  const dir = kind === 'native' ? join(native.dir, 'Release') : kind === 'prebuilt' ? prebuiltBinaryDir() : null
  const openmp = dir ? await linksOpenMp(dir) : null
  return {kind, openmp, choice, nativeBuilt: native.built, ...(native.comparison ? {comparison: native.comparison} : {}), checkedBy: 'files'}
}

function nodeLlamaCppEntry(): string {
  return createRequire(import.meta.url).resolve('node-llama-cpp')
}

/** node-llama-cpp's platform names (`getPlatform()`): linux, mac, win. */
function nodeLlamaCppPlatform(): string {
  if (process.platform === 'darwin') return 'mac'
  if (process.platform === 'win32' || process.platform === 'cygwin') return 'win'
  return process.platform === 'android' ? 'linux' : process.platform
}

/** The CPU prebuilt's folder, `@node-llama-cpp/<platform>-<arch>/bins/<platform>-<arch>`, or null when not installed. */
function prebuiltBinaryDir(): string | null {
  const name = `${nodeLlamaCppPlatform()}-${process.arch}`
  try {
    const entry = createRequire(nodeLlamaCppEntry()).resolve(`@node-llama-cpp/${name}`)
    return join(dirname(dirname(entry)), 'bins', name)
  } catch {
    // Not installed for this platform: node-llama-cpp would have no CPU prebuilt either.
    return null
  }
}

/**
 * Whether ggml's CPU library in a binary folder links libgomp: the name sits in its dynamic string table. Reads one
 * `libggml-cpu*` library (every CPU variant of a build is built alike), else the addon; null when none is readable.
 */
async function linksOpenMp(dir: string): Promise<boolean | null> {
  const names = await readdir(dir).catch(() => [] as string[])
  const library = names.filter((name) => /^libggml-cpu.*\.(so|dylib|dll)$/.test(name)).sort()[0] ?? names.find((name) => name.endsWith('.node'))
  if (!library) return null
  try {
    const file = await open(join(dir, library))
    try {
      const content = await file.readFile()
      return content.includes('libgomp') || content.includes('libomp')
    } finally {
      await file.close()
    }
  } catch {
    // An unreadable library leaves the answer unknown; loading llama.cpp (`hw --load-backend`) tells first-hand.
    return null
  }
}
