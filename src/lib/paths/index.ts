import {homedir, tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

/** The directories jsl-med reads and writes, all absolute. */
export interface Dirs {
  /** Persistent data (`$XDG_DATA_HOME/jsl-med`, `JSL_MED_DATA_DIR`). */
  dataDir: string
  /** Disposable data (`$XDG_CACHE_HOME/jsl-med`, `~/Library/Caches/jsl-med` on macOS, `JSL_MED_CACHE_DIR`). */
  cacheDir: string
  /** User configuration (`$XDG_CONFIG_HOME/jsl-med`, `JSL_MED_CONFIG_DIR`). */
  configDir: string
  /** The model store (`<dataDir>/models`, `JSL_MED_MODELS_DIR`). */
  modelsDir: string
}

/** Options of {@link resolveDirs}; every field defaults to the live process value. */
export interface ResolveDirsOptions {
  /** Environment to read; default `process.env`. */
  env?: NodeJS.ProcessEnv
  /** Home directory; default `$HOME`, then `os.homedir()`. */
  home?: string
  /** Platform; default `process.platform`. */
  platform?: NodeJS.Platform
  /** Explicit models directory (a `--models-dir` flag); wins over `JSL_MED_MODELS_DIR`. */
  modelsDir?: string
}

/** The program's directory name under the XDG base directories (package.json `oclif.dirname`). */
export const APP_DIRNAME = 'jsl-med'

/**
 * Resolves jsl-med's directories the way oclif's `Config` does (XDG base directories, `LOCALAPPDATA`
 * on Windows, `~/Library/Caches` for the cache on macOS, `JSL_MED_*_DIR` overrides), plus the model store.
 * It reads the environment at call time, never at import time, so tests and wrappers can redirect it.
 */
export function resolveDirs(options: ResolveDirsOptions = {}): Dirs {
  const env = options.env ?? process.env
  const platform = options.platform ?? process.platform
  const home = options.home ?? (env.HOME || (platform === 'win32' ? env.USERPROFILE : undefined) || homedir() || tmpdir())
  const xdg = (category: 'cache' | 'config' | 'data'): string => {
    const base =
      env[`XDG_${category.toUpperCase()}_HOME`] ||
      (platform === 'win32' ? env.LOCALAPPDATA : undefined) ||
      join(home, category === 'data' ? '.local/share' : `.${category}`)
    return join(base, APP_DIRNAME)
  }

  const dataDir = resolve(env.JSL_MED_DATA_DIR || xdg('data'))
  const cacheDir = resolve(env.JSL_MED_CACHE_DIR || (platform === 'darwin' ? join(home, 'Library', 'Caches', APP_DIRNAME) : xdg('cache')))
  const configDir = resolve(env.JSL_MED_CONFIG_DIR || xdg('config'))
  const modelsDir = resolve(options.modelsDir || env.JSL_MED_MODELS_DIR || join(dataDir, 'models'))
  return {dataDir, cacheDir, configDir, modelsDir}
}

/** One environment variable jsl-med reads. */
export interface EnvVarInfo {
  name: string
  /** What it changes. */
  description: string
  /** The value used when it is unset. */
  defaultValue: string
}

/**
 * Every environment variable jsl-med reads, in one table: `--help` texts and the README are written from it,
 * and a test checks the README lists each one.
 */
export const ENV_VARS: readonly EnvVarInfo[] = [
  {name: 'JSL_MED_DATA_DIR', description: 'data directory', defaultValue: '$XDG_DATA_HOME/jsl-med (~/.local/share/jsl-med)'},
  {name: 'JSL_MED_CACHE_DIR', description: 'cache directory', defaultValue: '$XDG_CACHE_HOME/jsl-med (~/.cache/jsl-med; ~/Library/Caches/jsl-med on macOS)'},
  {name: 'JSL_MED_CONFIG_DIR', description: 'configuration directory', defaultValue: '$XDG_CONFIG_HOME/jsl-med (~/.config/jsl-med)'},
  {name: 'JSL_MED_MODELS_DIR', description: 'model store (installed models and manifest.json); `--models-dir` wins', defaultValue: '$JSL_MED_DATA_DIR/models'},
  {name: 'JSL_MED_OFFLINE', description: '`1` or `true`: never use the network (as `--offline`)', defaultValue: 'unset'},
  {
    name: 'JSL_MED_DATASETS_CATALOG',
    description: 'JSON file of bench dataset entries (files with sizeBytes, sha256 and a hub repo/revision/path) that replace the built-in ones, by task: a mirror with its own files',
    defaultValue: 'unset: the built-in catalog',
  },
  {
    name: 'JSL_MED_LLAMA_BINARY',
    description: 'llama.cpp binary: `auto` (the native OpenMP build of `npm run build:native` when there is one and it was not measured slower, else the prebuilt), `prebuilt` or `native`',
    defaultValue: 'auto',
  },
  {name: 'JSL_MED_FLASH_ATTENTION', description: 'flash attention of the task commands: `auto`, `on` or `off`', defaultValue: 'off on the CPU, auto on a GPU'},
  {
    name: 'JSL_MED_PROGRESS_INTERVAL',
    description: 'seconds between progress lines when stderr is not a terminal (a log); `0`: a line at every change',
    defaultValue: '10',
  },
  {
    name: 'JSL_MED_DEID_KEY',
    description: '`deid` key of surrogates, date offsets and `--mode hash` (as `--key-file`, which wins); never printed',
    defaultValue: 'unset: a random key per run (hash mode needs one)',
  },
  {name: 'JSL_MED_INDEX', description: 'default for `--index` (`index …`, `ask`, `chat`)', defaultValue: '`index …`: $JSL_MED_DATA_DIR/index; `ask`, `chat`: no index'},
  {name: 'JSL_MED_EMBED_MODEL', description: 'default for `--embed-model` (the GGUF embedding model of a new index)', defaultValue: 'the model the index was built with'},
  {name: 'LANCE_CPU_THREADS', description: "threads of LanceDB's CPU pool; jsl-med sets at least 8 when it is unset (2 deadlocked a full-text index build)", defaultValue: 'max(8, cores)'},
  {name: 'LANCEDB_LOG', description: "LanceDB's log level (Rust env_logger syntax); jsl-med sets `error` when it is unset", defaultValue: 'error'},
  {name: 'SLURM_CPUS_PER_TASK', description: "Slurm's CPUs per task (`sbatch -c N`): the most threads a task command takes when `--threads` is not given", defaultValue: 'unset: no scheduler limit'},
  {name: 'HF_ENDPOINT', description: 'Hugging Face hub (or mirror) to download from', defaultValue: 'https://huggingface.co'},
  {name: 'HF_TOKEN', description: 'Hugging Face access token, for gated or private repos; never printed', defaultValue: 'the contents of $HF_TOKEN_PATH'},
  {name: 'HF_TOKEN_PATH', description: 'file holding the Hugging Face token', defaultValue: '$HF_HOME/token'},
  {name: 'HF_HOME', description: 'Hugging Face home (only its `token` file is read)', defaultValue: '$XDG_CACHE_HOME/huggingface (~/.cache/huggingface)'},
  {name: 'HF_HUB_OFFLINE', description: '`1`: never use the network (the Hugging Face convention)', defaultValue: 'unset'},
]

/** Where the Hugging Face token file is: `HF_TOKEN_PATH`, else `$HF_HOME/token`, else `$XDG_CACHE_HOME/huggingface/token`. */
export function hfTokenPath(options: {env?: NodeJS.ProcessEnv; home?: string} = {}): string {
  const env = options.env ?? process.env
  if (env.HF_TOKEN_PATH) return resolve(env.HF_TOKEN_PATH)
  const home = options.home ?? (env.HOME || homedir() || tmpdir())
  const hfHome = env.HF_HOME || join(env.XDG_CACHE_HOME || join(home, '.cache'), 'huggingface')
  return resolve(hfHome, 'token')
}
