import {EXIT_CODES} from '../errors/index.js'

/** What {@link trapInterrupt} returns: the signal a run watches, and the call that removes the handlers. */
export interface Interrupt {
  /** Aborted by the first Ctrl-C or SIGTERM. */
  signal: AbortSignal
  /** Removes the handlers; call it in a `finally`. */
  release: () => void
}

/** After a SIGTERM, how long a run may take to stop cleanly before the process exits anyway. */
const TERM_GRACE_MS = 10_000

/**
 * Ctrl-C and SIGTERM handling shared by every long-running command: the first signal aborts `signal` (the run stops
 * cleanly, writes no half record and exits 130) after `onFirst` (e.g. a message saying what is kept); a second one
 * exits at once with 130. A SIGTERM (a scheduler, `kill`, `timeout`) also exits after a grace period when the clean
 * stop does not finish, so that a stuck run never outlives it.
 */
export function trapInterrupt(onFirst?: () => void): Interrupt {
  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(EXIT_CODES.interrupted)
    onFirst?.()
    controller.abort()
    if (signal === 'SIGTERM') setTimeout(() => process.exit(EXIT_CODES.interrupted), TERM_GRACE_MS).unref()
  }

  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    signal: controller.signal,
    release: () => {
      process.removeListener('SIGINT', onSignal)
      process.removeListener('SIGTERM', onSignal)
    },
  }
}
