import {formatDuration} from '../download-progress.js'

/** The counts a record progress line shows, with the time records have been running. */
export interface RecordProgressState {
  /** Records written (ok or failed), failed ones among them, and ones skipped as done already (`--resume`). */
  done: number
  failed: number
  skipped: number
  /** Records in the input, when known (a file); skipped ones included. */
  total?: number
  /** Tokens generated so far. */
  outputTokens: number
  /** Since the first record started (the model load not included). */
  elapsedMs: number
}

/** `0.42`, `3.4`, `27`, `1,234` per second; undefined before any time has passed. */
export function formatRate(count: number, elapsedMs: number): string | undefined {
  if (!(elapsedMs > 0)) return undefined
  const perSecond = (count * 1000) / elapsedMs
  if (perSecond < 1) return perSecond.toFixed(2)
  if (perSecond < 10) return perSecond.toFixed(1)
  // Not toLocaleString: its first call loads ICU's locale data, 15 ms of every run's start-up.
  return String(Math.round(perSecond)).replaceAll(/\B(?=(\d{3})+$)/g, ',')
}

/**
 * The time left at the mean rate so far: undefined without a total or before the first record is done. Skipped
 * records took no time, so they count neither in the rate nor in what is left.
 */
export function estimateRemainingMs(state: Pick<RecordProgressState, 'done' | 'elapsedMs' | 'skipped' | 'total'>): number | undefined {
  if (state.total === undefined || state.done === 0 || !(state.elapsedMs > 0)) return undefined
  const left = Math.max(0, state.total - state.skipped - state.done)
  return (left * state.elapsedMs) / state.done
}

/** `12/40` with a total, `12` without; skipped records count as done, since the total holds them. */
export function formatDoneOfTotal(state: Pick<RecordProgressState, 'done' | 'skipped' | 'total'>): string {
  const done = state.done + state.skipped
  return state.total === undefined ? `${done}` : `${done}/${Math.max(state.total, done)}`
}

/**
 * One progress line of a task run. `live` is the short form redrawn on a terminal
 * (`summarize 12/40 records · 0.8 rec/s · 31 tok/s · ETA 0:35`); `plain` is a log line that stands alone
 * (`summarize: 12/40 records (30%), 0.80 records/s, 31 tokens/s, ETA 0:35, 0:15 elapsed`).
 */
export function formatRecordProgress(task: string, state: RecordProgressState, style: 'live' | 'plain'): string {
  const records = `${formatDoneOfTotal(state)} ${(state.total ?? state.done + state.skipped) === 1 ? 'record' : 'records'}`
  const recordRate = state.done > 0 ? formatRate(state.done, state.elapsedMs) : undefined
  const tokenRate = state.outputTokens > 0 ? formatRate(state.outputTokens, state.elapsedMs) : undefined
  const eta = estimateRemainingMs(state)
  const failed = state.failed > 0 ? `${state.failed} failed` : undefined
  if (style === 'live') {
    const parts = [`${task} ${records}`, recordRate && `${recordRate} rec/s`, tokenRate && `${tokenRate} tok/s`, eta !== undefined && `ETA ${formatDuration(eta)}`, failed]
    return parts.filter(Boolean).join(' · ')
  }

  const percent = state.total ? ` (${Math.floor((100 * Math.min(state.done + state.skipped, state.total)) / state.total)}%)` : ''
  const parts = [
    `${records}${percent}`,
    recordRate && `${recordRate} records/s`,
    tokenRate && `${tokenRate} tokens/s`,
    eta !== undefined && `ETA ${formatDuration(eta)}`,
    failed,
    `${formatDuration(state.elapsedMs)} elapsed`,
  ]
  return `${task}: ${parts.filter(Boolean).join(', ')}`
}

/** The last plain line of a task run, e.g. `summarize: 40 records in 0:52 (0.77 records/s, 30 tokens/s), 1 failed`. */
export function formatRecordSummary(task: string, state: RecordProgressState): string {
  const rates = [formatRate(state.done, state.elapsedMs), state.outputTokens > 0 ? formatRate(state.outputTokens, state.elapsedMs) : undefined]
  const inner = [rates[0] && `${rates[0]} records/s`, rates[1] && `${rates[1]} tokens/s`].filter(Boolean).join(', ')
  const skipped = state.skipped > 0 ? `, ${state.skipped} skipped` : ''
  const failed = state.failed > 0 ? `, ${state.failed} failed` : ''
  return `${task}: ${state.done} ${state.done === 1 ? 'record' : 'records'} in ${formatDuration(state.elapsedMs)}${inner ? ` (${inner})` : ''}${failed}${skipped}`
}

/**
 * Cuts a line to fit `columns` (keeping one column free, so the terminal never wraps it), with `…` at the end.
 * A width of 0 or less (unknown) leaves it as it is.
 */
export function fitToWidth(text: string, columns: number): string {
  if (!(columns > 1) || text.length < columns) return text
  return `${text.slice(0, Math.max(0, columns - 2))}…`
}
