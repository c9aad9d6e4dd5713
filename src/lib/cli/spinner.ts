import type {Ora} from 'ora'

/** The part of ora's spinner the commands use. */
export interface Spinner {
  text: string
  start(text?: string): void
  stop(): void
}

/**
 * A spinner on stderr, silent under `--quiet`, when stderr is not a terminal, and when the terminal reports no width
 * (`stty size` → `0 0`: `script`, some CI ptys, `docker exec -t`): ora's line wrapping never ends at 0 columns, and
 * the process then writes cursor codes forever.
 *
 * ora (≈0.2 s of imports) loads only when the spinner can show, and in the background: until it has loaded, the
 * spinner keeps its state and shows it once ready.
 */
export function createSpinner(quiet: boolean): Spinner {
  const usable = process.stderr.isTTY === true && (process.stderr.columns ?? 0) > 0
  let text = ''
  let running = false
  let ora: Ora | undefined
  if (!quiet && usable) {
    import('ora')
      .then(({default: create}) => {
        ora = create({stream: process.stderr, discardStdin: false, text})
        if (running) ora.start()
      })
      // A spinner that cannot load is no reason to fail the run: it stays silent.
      .catch(() => {})
  }

  return {
    get text() {
      return text
    },
    set text(value: string) {
      text = value
      if (ora) ora.text = value
    },
    start(value?: string) {
      if (value !== undefined) text = value
      running = true
      ora?.start(text)
    },
    stop() {
      running = false
      ora?.stop()
    },
  }
}
