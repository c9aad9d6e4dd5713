import type {RetryOptions} from '../remote/retry.js'
import type {PullOptions, StoreCatalog, StoreLog} from '../types.js'

/** One `pullModel` call: its options with their defaults applied, shared by every step of the pull. */
export interface PullRun {
  /** Absolute models directory. */
  modelsDir: string
  catalog: StoreCatalog
  env: NodeJS.ProcessEnv
  log: StoreLog
  options: PullOptions
  /** `--offline`, `JSL_MED_OFFLINE` or `HF_HUB_OFFLINE`. */
  offline: boolean
  /** How network steps are retried (from `retries`, `retryDelayMs`, `signal`, `log`). */
  retry: RetryOptions
}

/** A path segment safe on every file system. */
export function safePathSegment(text: string): string {
  return text.replaceAll(/[^\w.@+-]/g, '_').replace(/^\.+/, '_')
}
