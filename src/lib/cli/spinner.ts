import ora, {type Ora} from 'ora'

/**
 * A spinner on stderr, silent under `--quiet`, when stderr is not a terminal, and when the terminal reports no width
 * (`stty size` → `0 0`: `script`, some CI ptys, `docker exec -t`): ora's line wrapping never ends at 0 columns, and
 * the process then writes cursor codes forever.
 */
export function createSpinner(quiet: boolean): Ora {
  const usable = process.stderr.isTTY === true && (process.stderr.columns ?? 0) > 0
  return ora({stream: process.stderr, isSilent: quiet || !usable, discardStdin: false})
}
