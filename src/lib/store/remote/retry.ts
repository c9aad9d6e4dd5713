import {setTimeout as sleep} from 'node:timers/promises'

import {DownloadError, InterruptedError} from '../../errors/index.js'
import type {StoreLog} from '../types.js'
import {TransientError} from './http.js'

/** How {@link withRetries} retries. */
export interface RetryOptions {
  /** Retries after the first attempt; default 3. */
  retries?: number
  /** Wait before the first retry, doubled before each next one; default 1000 ms. */
  delayMs?: number
  /** Aborts the wait between attempts (throws InterruptedError). */
  signal?: AbortSignal
  /** Receives a `warn` line before each retry; default none. */
  log?: StoreLog
}

/**
 * Runs `action`, retrying TransientErrors with exponential backoff; the last one becomes a DownloadError (exit 5).
 * The store's only retry loop: every network step that may be retried goes through it.
 */
export async function withRetries<T>(action: () => Promise<T>, what: string, options: RetryOptions): Promise<T> {
  const retries = options.retries ?? 3
  const delayMs = options.delayMs ?? 1000
  for (let attempt = 0; ; attempt++) {
    try {
      return await action()
    } catch (error) {
      if (!(error instanceof TransientError)) throw error
      if (attempt >= retries) {
        throw new DownloadError(error.message, {cause: error, hint: error.hint, details: {attempts: attempt + 1}}, 'E_DOWNLOAD_INTERRUPTED')
      }

      const waitMs = delayMs * 2 ** attempt
      options.log?.('warn', `${error.message}; retrying ${what} in ${(waitMs / 1000).toFixed(1)} s (${attempt + 1}/${retries})`)
      try {
        await sleep(waitMs, undefined, {signal: options.signal})
      } catch {
        throw new InterruptedError()
      }
    }
  }
}
