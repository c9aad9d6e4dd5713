import {basename} from 'node:path'

import type {Ora} from 'ora'

import type {TaskProgress, TaskProgressEvent} from '../use-cases/index.js'
import {formatDuration} from './download-progress.js'
import {fitToWidth, formatRecordProgress, formatRecordSummary} from './render/index.js'

/** The environment variable that sets the plain-line interval in seconds (`0`: a line at every change). */
export const PROGRESS_INTERVAL_ENV = 'JSL_MED_PROGRESS_INTERVAL'

const DEFAULT_INTERVAL_MS = 10_000
const LIVE_REFRESH_MS = 1000

/** Where and how progress is drawn; shared by task and bench progress. */
export interface ProgressOptions {
  /** Draw nothing (`--quiet`). */
  quiet: boolean
  /** Where to draw; default `process.stderr`. Never stdout: stdout carries the records. */
  stream?: NodeJS.WritableStream & {columns?: number; isTTY?: boolean}
  /**
   * A live line redrawn in place (true) or plain lines at `intervalMs` (false). Default: live on a terminal that
   * reports its width. A terminal of 0 columns (`stty size` → `0 0`: `script`, some CI ptys, `docker exec -t`) gets
   * plain lines: ora's line wrapping never ends at 0 columns, and the process then writes cursor codes forever.
   */
  interactive?: boolean
  /** Plain lines: one every this many ms, the first after one interval; 0 prints one at every change. Default {@link progressIntervalMs}. */
  intervalMs?: number
  /** Clock in ms, for tests; default `performance.now`. */
  now?: () => number
}

/**
 * The plain-line interval: `JSL_MED_PROGRESS_INTERVAL` seconds (decimals allowed, `0` for a line at every change),
 * else 10 s. Time, not percent, sets the pace: a log then never goes silent for longer than the interval, whether
 * the total is known or not and however long one record takes; a run shorter than that prints nothing.
 */
export function progressIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[PROGRESS_INTERVAL_ENV]?.trim()
  const seconds = raw ? Number(raw) : Number.NaN
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : DEFAULT_INTERVAL_MS
}

/** One progress display: redrawn (live) or printed (plain) from `render`. */
interface ProgressLine {
  /** The state changed: a live line shows it now; with an interval of 0, a plain line is printed. */
  changed(): void
  /** Stops drawing; a plain display that printed anything ends with `last`. Idempotent. */
  stop(last?: string): void
}

function startProgressLine(options: ProgressOptions, render: (style: 'live' | 'plain') => string): ProgressLine {
  const stream = options.stream ?? process.stderr
  if (options.quiet) return {changed() {}, stop() {}}
  const interactive = options.interactive ?? (stream.isTTY === true && (stream.columns ?? 0) > 0)
  let stopped = false
  if (interactive) {
    // ora's frame and a space take 2 columns; the text must never wrap, or each redraw leaves a line behind.
    const text = (): string => fitToWidth(render('live'), (stream.columns ?? 80) - 2)
    let spinner: Ora | undefined
    // ora (≈0.2 s of imports) loads only when a live line can show, in the background: start-up does not wait for it.
    import('ora')
      .then(({default: ora}) => {
        // Enabled as decided above: ora's own test would turn it off wherever CI is set, even on a terminal.
        if (!stopped) spinner = ora({stream, discardStdin: false, isEnabled: true, text: text()}).start()
      })
      // A spinner that cannot load is no reason to fail the run: the line stays away.
      .catch(() => {})
    const refresh = setInterval(() => {
      if (spinner) spinner.text = text()
    }, LIVE_REFRESH_MS)
    refresh.unref()
    return {
      changed() {
        if (!stopped && spinner) spinner.text = text()
      },
      stop() {
        stopped = true
        clearInterval(refresh)
        spinner?.stop()
      },
    }
  }

  const intervalMs = options.intervalMs ?? progressIntervalMs()
  let printed = false
  const print = (line: string): void => {
    stream.write(line + '\n')
    printed = true
  }

  // unref: a heartbeat must never keep the process alive.
  const timer = intervalMs > 0 ? setInterval(() => print(render('plain')), intervalMs) : undefined
  timer?.unref()
  return {
    changed() {
      if (!stopped && intervalMs === 0) print(render('plain'))
    },
    stop(last) {
      if (stopped) return
      stopped = true
      clearInterval(timer)
      if (printed && last) print(last)
    },
  }
}

/** Draws the progress events of a task run. */
export interface TaskProgressRenderer {
  update(event: TaskProgressEvent): void
  /** Stops drawing (idempotent; call it in `finally`). */
  stop(): void
}

/**
 * Task progress on stderr: while the model loads, its name and the time so far; then records done (of the total
 * when known), records/s, tokens/s and ETA. Live on a terminal, plain lines at an interval elsewhere, ending with a
 * summary line when any was printed.
 */
export function createTaskProgress(task: string, options: ProgressOptions): TaskProgressRenderer {
  const now = options.now ?? (() => performance.now())
  let model = ''
  let loadingSince = now()
  let running: TaskProgress | undefined
  let runningSince = 0
  let line: ProgressLine | undefined
  const state = (counts: TaskProgress): Parameters<typeof formatRecordProgress>[1] => ({...counts, elapsedMs: now() - runningSince})
  const render = (style: 'live' | 'plain'): string => {
    if (running) return formatRecordProgress(task, state(running), style)
    const loading = `loading ${style === 'live' ? basename(model) : model} (${formatDuration(now() - loadingSince)})`
    return style === 'live' ? `${task} ${loading}` : `${task}: ${loading}`
  }

  const stop = (): void => line?.stop(running ? formatRecordSummary(task, state(running)) : undefined)
  return {
    update(event) {
      if (event.stage === 'finished') return stop()
      if (event.stage === 'loading') {
        model = event.model
        loadingSince = now()
      } else {
        if (!running) runningSince = now()
        running = {...event}
      }

      line ??= startProgressLine(options, render)
      line.changed()
    },
    stop,
  }
}

/** Draws the steps of a long run without record counts (bench). */
export interface StepProgressRenderer {
  /** The step now under way, e.g. `tiny q4: pp64 2/5`. */
  step(text: string): void
  /** Stops drawing (idempotent; call it in `finally`). */
  stop(): void
}

/** Step progress on stderr: the current step and the time since the start, live or in plain lines as task progress. */
export function createStepProgress(name: string, options: ProgressOptions): StepProgressRenderer {
  const now = options.now ?? (() => performance.now())
  const started = now()
  let current = 'starting'
  const render = (style: 'live' | 'plain'): string =>
    style === 'live' ? `${name}: ${current} · ${formatDuration(now() - started)}` : `${name}: ${current}, ${formatDuration(now() - started)} elapsed`
  const line = startProgressLine(options, render)
  return {
    step(text) {
      if (text === current) return
      current = text
      line.changed()
    },
    stop: () => line.stop(`${name}: done in ${formatDuration(now() - started)}`),
  }
}
