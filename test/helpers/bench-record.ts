import type {BenchRecordBase} from '../../src/lib/bench/index.js'

/** The fields every bench record has, filled with plausible values, for schema and rendering tests. */
export const BENCH_RECORD_BASE: BenchRecordBase = {
  schemaVersion: 1,
  runId: 'r',
  timestamp: '2026-11-21T23:47:53.925Z',
  model: {id: 'synthetic:tiny', path: '/tmp/x.gguf', sha256: 'a'.repeat(64), sizeBytes: 10, fileType: 'Q4_0', architecture: 'llama', parameterCount: 5, shape: 'tiny'},
  quant: 'q4',
  synthetic: true,
  hardware: {cpu: {model: 'AMD EPYC', physicalCores: 2, logicalCores: 2, features: ['AVX2']}, threads: 1, backend: 'cpu', gpus: [], ramBytes: 1, os: 'linux', arch: 'x64'},
  software: {jslMed: '0.1.0', nodeLlamaCpp: '3.22.1', llamaCpp: {release: 'v0.5.0', repo: 'ggml-org/llama.cpp', buildType: 'prebuilt'}, node: 'v20'},
  seed: 1,
  durationMs: 0,
}
