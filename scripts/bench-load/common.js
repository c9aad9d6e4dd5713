// Shared by the sections of scripts/bench-load.js: the lib from dist/, child processes that are always cleaned up,
// load conditions (busy child processes), the load at the start of each round, and Markdown tables.
import {spawn} from 'node:child_process'
import {loadavg} from 'node:os'
import {fileURLToPath} from 'node:url'
import {setTimeout as sleep} from 'node:timers/promises'

export const root = fileURLToPath(new URL('../..', import.meta.url))
export const runJs = `${root}bin/run.js`

/** A module of the built lib (`npm run build` first). */
export const lib = (module) => import(new URL(`../../dist/lib/${module}/index.js`, import.meta.url).href)

/** Progress and notes: stderr only (stdout is the product). */
export const log = (text) => process.stderr.write(`${text}\n`)

// Everything this script started, so that Ctrl-C, an error or a normal exit never leaves a process behind.
const children = new Set()
const cleanups = new Set()

/** Registers an async cleanup (e.g. stop busy cores, kill a server); returns the function that runs and removes it. */
export function onCleanup(cleanup) {
  cleanups.add(cleanup)
  return async () => {
    if (!cleanups.delete(cleanup)) return
    await cleanup()
  }
}

/** Kills every child still running and runs the pending cleanups. */
export async function cleanupAll() {
  for (const child of children) child.kill('SIGKILL')
  for (const cleanup of [...cleanups]) {
    cleanups.delete(cleanup)
    await cleanup().catch((error) => log(`cleanup failed: ${error.message}`))
  }
}

process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    log(`\n${signal}: stopping every process this benchmark started`)
    cleanupAll().finally(() => process.exit(130))
  })
}

/**
 * Runs a program to its end: {code, stdout, stderr, ms}. `onStdoutLine(line, msSinceStart)` and `onStderrLine` see
 * lines as they arrive (for timing a run from its own log). Killed after `timeoutMs`.
 */
export function runProgram(command, args, {env = process.env, input, timeoutMs = 60 * 60_000, cwd = root, onStdoutLine, onStderrLine} = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, args, {cwd, env, stdio: ['pipe', 'pipe', 'pipe']})
    children.add(child)
    const out = []
    const err = []
    const lines = (chunks, onLine) => {
      let rest = ''
      return (data) => {
        chunks.push(data)
        if (!onLine) return
        const parts = (rest + data.toString('utf8')).split('\n')
        rest = parts.pop()
        for (const line of parts) onLine(line, performance.now() - started)
      }
    }

    child.stdout.on('data', lines(out, onStdoutLine))
    child.stderr.on('data', lines(err, onStderrLine))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      children.delete(child)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      children.delete(child)
      const stderr = Buffer.concat(err).toString('utf8')
      resolve({code: code ?? (signal ? 128 : 1), signal, stdout: Buffer.concat(out).toString('utf8'), stderr, ms: performance.now() - started})
    })
    child.stdin.on('error', () => {}) // a program that does not read its stdin closes it early; that is not an error
    child.stdin.end(input ?? '')
  })
}

/**
 * Starts a long-running program (a server): {child, output(), stop()}. It is killed by `stop()`, by Ctrl-C and when
 * this script exits, whatever happens; `output()` is the tail of what it printed, for error messages.
 */
export function startDaemon(command, args, {env = process.env} = {}) {
  const child = spawn(command, args, {cwd: root, env, stdio: ['ignore', 'pipe', 'pipe']})
  children.add(child)
  let tail = ''
  const keep = (data) => {
    tail = (tail + data.toString('utf8')).slice(-4000)
  }

  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const exited = new Promise((resolve) => child.once('close', resolve)).then(() => children.delete(child))
  const stop = onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  })
  return {child, output: () => tail, exited, stop}
}

/** The environment for a jsl-med child: ours without JSL_MED_THREADS (so its default applies), plus `extra`. */
export function childEnv(extra = {}) {
  const env = {...process.env, ...extra}
  delete env.JSL_MED_THREADS
  for (const [key, value] of Object.entries(extra)) if (value === undefined) delete env[key]
  return env
}

/** `idle,1,2` → [{name: 'idle', busy: 0}, {name: '1 busy', busy: 1}, …]. */
export function parseConditions(text) {
  return text.split(',').map((item) => {
    const busy = item.trim() === 'idle' ? 0 : Number(item)
    if (!Number.isInteger(busy) || busy < 0) throw new Error(`--conditions: expected idle or a number of busy cores, got ${item}`)
    return {name: busy === 0 ? 'idle' : `${busy} busy`, busy}
  })
}

/** Runs `work` with `busy` busy child processes (started for this condition, killed after it, also on Ctrl-C). */
export async function underCondition(condition, work) {
  const {startBusyCores} = await lib('cpu')
  const busy = await startBusyCores(condition.busy, 500)
  const stop = onCleanup(() => busy.stop())
  try {
    return await work()
  } finally {
    await stop()
  }
}

/** The load at a round's start: the 1-minute load average and the cores other processes keep busy (a 0.5 s look). */
export async function roundStart(label) {
  const {takeCpuSnapshot, othersBusyCores} = await lib('cpu')
  const load1 = loadavg()[0]
  const before = await takeCpuSnapshot()
  await sleep(500)
  const after = await takeCpuSnapshot()
  const othersBusy = before && after ? othersBusyCores(before, after) : undefined
  log(`${label}: load1 ${load1.toFixed(2)}, others busy ${othersBusy === undefined ? '?' : othersBusy.toFixed(2)} cores`)
  return {load1, othersBusy}
}

const bench = await lib('bench')

/** The lib's median of the numbers among `values`; undefined when there are none (a program failed every round). */
export function median(values) {
  const list = values.filter((value) => typeof value === 'number' && Number.isFinite(value))
  return list.length === 0 ? undefined : bench.median(list)
}

export const fmt = (value, digits = 1) => (typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '–')

/** `a / b` with a check mark against a target (`≥ 0.95` → {atLeast: 0.95}, `≤ 2` → {atMost: 2}). */
export function ratioCell(a, b, target = {}) {
  if (typeof a !== 'number' || typeof b !== 'number' || !(b > 0)) return '–'
  const ratio = a / b
  const ok = target.atLeast !== undefined ? ratio >= target.atLeast : target.atMost !== undefined ? ratio <= target.atMost : undefined
  return `${ratio.toFixed(2)}${ok === undefined ? '' : ok ? ' ✓' : ' ✗'}`
}

/** A Markdown table. */
export function table(header, rows) {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => String(row[i]).length)))
  const line = (row) => `| ${row.map((cell, i) => String(cell).padEnd(widths[i])).join(' | ')} |`
  return [line(header), `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`, ...rows.map(line)].join('\n')
}
