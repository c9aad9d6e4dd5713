import {EXIT_CODES} from '../errors/index.js'

/** What {@link trapInterrupt} returns: the signal a run watches, and the call that removes the handler. */
export interface Interrupt {
  /** Aborted by the first Ctrl-C. */
  signal: AbortSignal
  /** Removes the handler; call it in a `finally`. */
  release: () => void
}

/**
 * Ctrl-C handling shared by every long-running command: the first SIGINT aborts `signal` (the run stops cleanly,
 * writes no half record and exits 130) after `onFirst` (e.g. a message saying what is kept); a second one exits at
 * once with 130.
 */
export function trapInterrupt(onFirst?: () => void): Interrupt {
  const controller = new AbortController()
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(EXIT_CODES.interrupted)
    onFirst?.()
    controller.abort()
  }

  process.on('SIGINT', onSigint)
  return {signal: controller.signal, release: () => process.removeListener('SIGINT', onSigint)}
}
