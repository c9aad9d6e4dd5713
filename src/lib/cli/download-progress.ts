import {formatBytes} from '../format/index.js'
import type {DownloadProgress} from '../store/index.js'

/** Options of {@link createDownloadProgress}. */
export interface DownloadProgressOptions {
  /** Where to draw; default `process.stderr`. Never stdout: stdout carries the result. */
  stream?: NodeJS.WritableStream & {isTTY?: boolean; columns?: number}
  /** Draw nothing at all. */
  quiet?: boolean
  /** A redrawn bar (true) or plain periodic lines (false); default: whether the stream is a TTY. */
  interactive?: boolean
  /** Clock, for tests; default `Date.now`. */
  now?: () => number
}

/** Renders store progress events; `finish()` ends a bar that is still drawn. */
export interface DownloadProgressRenderer {
  update(progress: DownloadProgress): void
  finish(): void
}

/**
 * Download progress on stderr. On a TTY: one line redrawn at most 10 times a second with a bar, bytes, speed and
 * ETA. Elsewhere (a log file, CI): a line when a file starts, every 10 percentage points or 30 s (never more than
 * one a second), and when it completes.
 */
export function createDownloadProgress(options: DownloadProgressOptions = {}): DownloadProgressRenderer {
  const stream = options.stream ?? process.stderr
  const now = options.now ?? Date.now
  const interactive = options.interactive ?? Boolean(stream.isTTY)
  let current: string | undefined
  let lastDrawAt = 0
  let lastPercent = -1
  let drawn = false

  const endLine = (): void => {
    if (interactive && drawn) stream.write('\n')
    drawn = false
  }

  return {
    update(progress) {
      if (options.quiet) return
      const key = `${progress.name}:${progress.phase}`
      const isNew = key !== current
      if (isNew) {
        endLine()
        current = key
        lastDrawAt = 0
        lastPercent = -1
      }

      const complete = progress.totalBytes !== undefined && progress.doneBytes >= progress.totalBytes
      const percent = progress.totalBytes ? Math.floor((progress.doneBytes / progress.totalBytes) * 100) : undefined
      const time = now()
      if (interactive) {
        if (!complete && !isNew && time - lastDrawAt < 100) return
        lastDrawAt = time
        stream.write(`\r\u001B[2K${barLine(progress, stream.columns ?? 80)}`)
        drawn = true
        if (complete) endLine()
        return
      }

      const stepped = percent !== undefined && Math.floor(percent / 10) > Math.floor(lastPercent / 10)
      const due = isNew || complete || ((stepped || time - lastDrawAt >= 30_000) && time - lastDrawAt >= 1000)
      if (!due) return
      lastDrawAt = time
      lastPercent = percent ?? lastPercent
      stream.write(plainLine(progress, isNew, complete) + '\n')
    },
    finish: endLine,
  }
}

function barLine(progress: DownloadProgress, columns: number): string {
  const {totalBytes, doneBytes} = progress
  const verb = progress.phase === 'hashing' ? 'checking' : progress.phase
  const amounts = totalBytes === undefined ? formatBytes(doneBytes) : `${formatBytes(doneBytes)}/${formatBytes(totalBytes)}`
  const tail = progress.phase === 'hashing' ? `${amounts}` : `${amounts}  ${formatBytes(progress.bytesPerSecond)}/s  ETA ${formatDuration(progress.etaMs)}`
  const percent = totalBytes ? Math.min(doneBytes / totalBytes, 1) : 0
  const percentText = totalBytes ? `${String(Math.floor(percent * 100)).padStart(3)}%` : '   ?'
  const room = Math.max(columns - 1, 40)
  // The bar shrinks first (30 down to 10 cells), then the file name is shortened from the left.
  const fixed = verb.length + percentText.length + tail.length + 6
  const barWidth = Math.max(10, Math.min(30, room - fixed - progress.name.length))
  const nameRoom = Math.max(room - fixed - barWidth, 8)
  const name = progress.name.length > nameRoom ? `…${progress.name.slice(-(nameRoom - 1))}` : progress.name
  const filled = Math.round(percent * barWidth)
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]`
  return `${verb} ${name} ${bar} ${percentText} ${tail}`
}

function plainLine(progress: DownloadProgress, isNew: boolean, complete: boolean): string {
  const {name, totalBytes, doneBytes} = progress
  if (progress.phase === 'hashing') return isNew ? `${name}: checking the ${formatBytes(totalBytes ?? doneBytes)} already downloaded` : `${name}: checked ${formatBytes(doneBytes)}`
  const verb = progress.phase === 'copying' ? 'copying' : 'downloading'
  const size = totalBytes === undefined ? '' : ` (${formatBytes(totalBytes)})`
  if (isNew && !complete) {
    const resumed = progress.resumedFromBytes > 0 && totalBytes ? `, resuming at ${Math.floor((progress.resumedFromBytes / totalBytes) * 100)}%` : ''
    return `${name}: ${verb}${size}${resumed}`
  }

  const seconds = progress.bytesPerSecond > 0 ? (doneBytes - progress.resumedFromBytes) / progress.bytesPerSecond : 0
  if (complete) return `${name}: ${formatBytes(doneBytes)} done in ${seconds.toFixed(1)} s (${formatBytes(progress.bytesPerSecond)}/s)`
  const percent = totalBytes ? `${Math.floor((doneBytes / totalBytes) * 100)}% ` : ''
  return `${name}: ${percent}${formatBytes(doneBytes)}${size ? ` of ${formatBytes(totalBytes!)}` : ''}, ${formatBytes(progress.bytesPerSecond)}/s, ETA ${formatDuration(progress.etaMs)}`
}

/** `m:ss` or `h:mm:ss`; `--:--` when unknown. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '--:--'
  const total = Math.max(0, Math.round(ms / 1000))
  const hours = Math.floor(total / 3600)
  const minutes = Math.floor((total % 3600) / 60)
  const seconds = String(total % 60).padStart(2, '0')
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`
}
