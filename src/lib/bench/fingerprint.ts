import {mkdir, readFile, rename, stat, writeFile} from 'node:fs/promises'
import {arch, cpus, platform, release, totalmem} from 'node:os'
import {dirname, join, resolve} from 'node:path'

import type {BenchModelInfo, LlamaBinary} from '../engine/index.js'
import {detectPhysicalCores} from '../cpu/index.js'
import {sha256File} from '../store/index.js'

/** The machine a result was measured on: enough to tell whether two results are comparable. */
export interface HardwareFingerprint {
  cpu: {
    model: string
    physicalCores: number
    logicalCores: number
    /** llama.cpp's view of the CPU features its build uses (AVX2, AVX512, …). */
    features: string[]
  }
  /** Threads the benchmark used. */
  threads: number
  /** The compute backend: `cpu`, or the GPU backend (`cuda`, `vulkan`, `metal`). */
  backend: string
  /** GPU device names the backend sees (empty on the CPU). */
  gpus: string[]
  ramBytes: number
  os: string
  arch: string
  /** The llama.cpp binary: the native build (`npm run build:native`) or the prebuilt, and whether it uses OpenMP. */
  binary?: LlamaBinary
}

/** Describes this machine, with the backend facts of a loaded bench model when there is one. */
export async function fingerprintHardware(threads: number, engine?: Pick<BenchModelInfo, 'binary' | 'gpu' | 'gpuDevices' | 'systemInfo'>): Promise<HardwareFingerprint> {
  const logical = cpus()
  const features = engine ? [...engine.systemInfo.matchAll(/(\w+) = 1/g)].map((match) => match[1]) : []
  return {
    cpu: {model: logical[0]?.model.trim() ?? 'unknown', physicalCores: await detectPhysicalCores(), logicalCores: logical.length, features},
    threads,
    backend: engine?.gpu || 'cpu',
    gpus: engine?.gpuDevices ?? [],
    ramBytes: totalmem(),
    os: `${platform()} ${release()}`,
    arch: arch(),
    ...(engine?.binary ? {binary: {kind: engine.binary.kind, openmp: engine.binary.openmp}} : {}),
  }
}

/** A model file's identity. */
export interface FileIdentity {
  sha256: string
  sizeBytes: number
}

type HashCache = Record<string, {sizeBytes: number; mtimeMs: number; sha256: string}>

/**
 * The sha256 and size of a file. With `cacheDir`, digests are remembered in `cacheDir/bench-sha256.json` by path,
 * size and mtime, so that a multi-gigabyte model is hashed once rather than on every run.
 */
export async function identifyFile(path: string, cacheDir?: string): Promise<FileIdentity> {
  const absolute = resolve(path)
  const stats = await stat(absolute)
  const cacheFile = cacheDir ? join(cacheDir, 'bench-sha256.json') : undefined
  let cache: HashCache = {}
  if (cacheFile) {
    try {
      cache = JSON.parse(await readFile(cacheFile, 'utf8')) as HashCache
    } catch {
      // A missing or corrupt cache only costs a re-hash.
      cache = {}
    }

    const hit = cache[absolute]
    if (hit && hit.sizeBytes === stats.size && hit.mtimeMs === stats.mtimeMs) return {sha256: hit.sha256, sizeBytes: stats.size}
  }

  const sha256 = await sha256File(absolute)
  if (cacheFile) {
    cache[absolute] = {sizeBytes: stats.size, mtimeMs: stats.mtimeMs, sha256}
    await mkdir(dirname(cacheFile), {recursive: true})
    const temporary = `${cacheFile}.${process.pid}.tmp`
    await writeFile(temporary, JSON.stringify(cache, null, 1))
    await rename(temporary, cacheFile)
  }

  return {sha256, sizeBytes: stats.size}
}
