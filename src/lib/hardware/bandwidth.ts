import {mkdir, readFile, rename, writeFile} from 'node:fs/promises'
import {availableParallelism, cpus, totalmem} from 'node:os'
import {join} from 'node:path'
import {Worker} from 'node:worker_threads'

import {resolveDirs} from '../paths/index.js'

/** A memory-bandwidth figure and when it was measured. */
export interface BandwidthFacts {
  /** Bytes read + written per second by all cores copying at once (median of the passes). */
  bytesPerSecond: number
  /** When it was measured (ISO 8601); older than the run when it came from the cache. */
  measuredAt: string
}

/** Options of {@link measureBandwidth}. */
export interface MeasureBandwidthOptions {
  /** Copying threads; default: every core (`os.availableParallelism()`), at most 16. */
  threads?: number
  /** Timed passes, all threads copying at once in each; the median is kept. Default `7`. */
  passes?: number
}

// Each thread copies its own buffer; all start each pass together (a barrier on shared memory), so one pass's
// wall time is the slowest thread's. The first copy faults the pages in and is not timed.
const BANDWIDTH_SCRIPT = `
const {parentPort, workerData} = require('node:worker_threads')
const {size, passes, threads, shared} = workerData
const sync = new Int32Array(shared)
function barrier() {
  const generation = Atomics.load(sync, 1)
  if (Atomics.add(sync, 0, 1) === threads - 1) {
    Atomics.store(sync, 0, 0)
    Atomics.add(sync, 1, 1)
    Atomics.notify(sync, 1)
  } else {
    while (Atomics.load(sync, 1) === generation) Atomics.wait(sync, 1, generation, 100)
  }
}
const source = Buffer.alloc(size, 1)
const target = Buffer.alloc(size, 2)
source.copy(target)
const seconds = []
for (let pass = 0; pass < passes; pass++) {
  barrier()
  const started = process.hrtime.bigint()
  source.copy(target)
  seconds.push(Number(process.hrtime.bigint() - started) / 1e9)
}
parentPort.postMessage(seconds)
`

const MIB = 1024 * 1024

/**
 * Measures memory bandwidth (bytes/s): every core copies a buffer at once, in several passes, and the median pass
 * counts. llama.cpp generates on all cores, so one thread's copy would understate it, and a single pass swings with
 * whatever else the machine runs at that moment.
 */
export async function measureBandwidth(timeoutMs: number, options: MeasureBandwidthOptions = {}): Promise<number> {
  const threads = Math.max(1, Math.min(16, options.threads ?? availableParallelism()))
  const passes = Math.max(1, options.passes ?? 7)
  // 256 MiB in all (two buffers per thread), well beyond any last-level cache, whatever the thread count.
  const size = Math.max(8 * MIB, Math.floor((128 * MIB) / threads))
  const shared = new SharedArrayBuffer(8)
  const workers = Array.from({length: threads}, () => new Worker(BANDWIDTH_SCRIPT, {eval: true, workerData: {size, passes, threads, shared}}))
  let timer: NodeJS.Timeout | undefined
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs)
    })
    const runs = workers.map(
      (worker) =>
        new Promise<number[]>((resolve, reject) => {
          worker.unref()
          worker.once('message', resolve)
          worker.once('error', reject)
        }),
    )
    const seconds = await Promise.race([Promise.all(runs), timeout])
    const perPass = Array.from({length: passes}, (_, pass) => (2 * size * threads) / Math.max(...seconds.map((run) => run[pass])))
    return median(perPass)
  } finally {
    clearTimeout(timer)
    for (const worker of workers) void worker.terminate()
  }
}

/** Options of {@link cachedBandwidth}. */
export interface CachedBandwidthOptions {
  /** Time limit of a new measurement, in ms. */
  timeoutMs: number
  /** Measure again even when the cache holds a figure for this machine. Default `false`. */
  refresh?: boolean
  /** Where the figure is kept; default `<cache dir>/bandwidth.json` (see `resolveDirs`). */
  cachePath?: string
  /** A figure older than this is measured again, in days. Default `30`. */
  maxAgeDays?: number
  /** The measurement; default {@link measureBandwidth}. */
  measure?: (timeoutMs: number) => Promise<number>
  /** The clock; default `new Date()`. */
  now?: Date
}

interface BandwidthCache {
  version: 1
  machine: string
  bytesPerSecond: number
  measuredAt: string
}

/**
 * The memory bandwidth of this machine, measured once and kept in the cache directory with its date, so that `hw`
 * and `pull --quant auto` give the same advice run after run. A figure of another machine (CPU model, cores, RAM)
 * or older than `maxAgeDays` is measured again; a cache that cannot be read or written only costs a measurement.
 */
export async function cachedBandwidth(options: CachedBandwidthOptions): Promise<BandwidthFacts> {
  const path = options.cachePath ?? join(resolveDirs().cacheDir, 'bandwidth.json')
  const now = options.now ?? new Date()
  const machine = machineKey()
  if (!options.refresh) {
    const cached = await readCache(path)
    const ageDays = cached ? (now.getTime() - Date.parse(cached.measuredAt)) / 86_400_000 : Number.NaN
    if (cached && cached.machine === machine && ageDays >= 0 && ageDays <= (options.maxAgeDays ?? 30)) {
      return {bytesPerSecond: cached.bytesPerSecond, measuredAt: cached.measuredAt}
    }
  }

  const bytesPerSecond = Math.round(await (options.measure ?? measureBandwidth)(options.timeoutMs))
  const facts = {bytesPerSecond, measuredAt: now.toISOString()}
  const entry: BandwidthCache = {version: 1, machine, ...facts}
  try {
    await mkdir(join(path, '..'), {recursive: true})
    await writeFile(`${path}.tmp`, JSON.stringify(entry) + '\n')
    await rename(`${path}.tmp`, path)
  } catch {
    // An unwritable cache only means the next run measures again.
  }

  return facts
}

async function readCache(path: string): Promise<BandwidthCache | undefined> {
  try {
    const value = JSON.parse(await readFile(path, 'utf8')) as Partial<BandwidthCache>
    const valid = value.version === 1 && typeof value.machine === 'string' && Number.isFinite(value.bytesPerSecond) && typeof value.measuredAt === 'string'
    return valid ? (value as BandwidthCache) : undefined
  } catch {
    return undefined // missing or corrupt: measure again
  }
}

function machineKey(): string {
  return [cpus()[0]?.model?.trim() ?? 'unknown', availableParallelism(), Math.round(totalmem() / MIB)].join('|')
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
