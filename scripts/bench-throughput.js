#!/usr/bin/env node
// Throughput on this machine, all figures from one run: for each synthetic shape and quantization,
// llama.cpp's llama-bench (pp512/tg128), jsl-med's raw speed harness (the same method, through
// node-llama-cpp), jsl-med's real generation path (chat template + sampler, one stream), and `ner`
// records/s over short records at several -j, with ratios, peak RSS, and how often -j 8 output differs
// from -j 1 at temperature 0. Numbers only: nothing here asserts a target.
//
// Usage: node scripts/bench-throughput.js [--shapes 0.25b,1.7b] [--quants q4,q8] [--records 64]
//          [--max-tokens 32] [--jobs 1,2,4,8] [--threads N] [--reps 3] [--json]
// Needs `npm run build`. llama-bench comes from $LLAMA_BENCH (default /tmp/llama-bench-build/bin/llama-bench;
// scripts/bench-vs-llama-bench.sh builds it from node-llama-cpp's bundled llama.cpp); without it those columns are empty.
import {execFile, fork} from 'node:child_process'
import {access} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {promisify} from 'node:util'
import {parseArgs} from 'node:util'

const dist = new URL('../dist/lib/', import.meta.url)
const lib = (module) => import(new URL(`${module}/index.js`, dist).href)

const {values} = parseArgs({
  options: {
    shapes: {type: 'string', default: '0.25b,1.7b'},
    quants: {type: 'string', default: 'q4,q8'},
    records: {type: 'string', default: '64'},
    'max-tokens': {type: 'string', default: '32'},
    jobs: {type: 'string', default: '1,2,4,8'},
    threads: {type: 'string'},
    reps: {type: 'string', default: '3'},
    json: {type: 'boolean', default: false},
    child: {type: 'string'},
  },
})

const cacheDir = process.env.JSL_MED_CACHE_DIR ? join(process.env.JSL_MED_CACHE_DIR, 'synthetic') : join(tmpdir(), 'jsl-med-synthetic')
const llamaBench = process.env.LLAMA_BENCH ?? '/tmp/llama-bench-build/bin/llama-bench'

if (values.child) await runOne(JSON.parse(values.child))
else await orchestrate()

async function orchestrate() {
  const {detectPhysicalCores} = await lib('hardware')
  const threads = Number(values.threads ?? Math.min(2, await detectPhysicalCores()))
  const configs = values.shapes.split(',').flatMap((shape) => values.quants.split(',').map((quant) => ({shape, quant})))
  const results = []
  for (const config of configs) {
    process.stderr.write(`\n== ${config.shape} ${config.quant} (threads ${threads}) ==\n`)
    // Each configuration in its own process, so that peak RSS is its own.
    const child = fork(new URL(import.meta.url).pathname, ['--child', JSON.stringify({...config, threads, reps: Number(values.reps), records: Number(values.records), maxTokens: Number(values['max-tokens']), jobs: values.jobs.split(',').map(Number)})], {stdio: ['ignore', 'pipe', 'inherit', 'ipc']})
    const result = await new Promise((resolve, reject) => {
      child.on('message', resolve)
      child.on('exit', (code) => code === 0 || reject(new Error(`${config.shape} ${config.quant} failed (exit ${code})`)))
    })
    results.push(result)
    if (values.json) process.stdout.write(JSON.stringify(result) + '\n')
  }

  if (!values.json) process.stdout.write(renderTable(results) + '\n')
}

async function runOne({shape, quant, threads, reps, records, maxTokens, jobs}) {
  const {ensureSyntheticModel} = await lib('bench')
  const {openBenchModel, createEngine} = await lib('engine')
  const {runTask} = await lib('pipeline')
  const {nerTask} = await lib('tasks')
  const {openRecords} = await lib('io')
  const log = (text) => process.stderr.write(`${text}\n`)
  const {spec} = await ensureSyntheticModel({shape, quant, cacheDir})
  const result = {shape, quant, threads, model: spec.path}

  result.llamaBench = await runLlamaBench(spec.path, threads, reps)
  log(`llama-bench: ${JSON.stringify(result.llamaBench)}`)

  const bench = await openBenchModel({modelPath: spec.path, threads, gpu: 'off'})
  const speed = await bench.measureSpeed({repetitions: reps})
  await bench.dispose()
  const average = (list) => list.reduce((a, b) => a + b, 0) / list.length
  result.rawSpeed = {pp512: average(speed.promptTokensPerSecond), tg128: average(speed.generateTokensPerSecond)}
  log(`jsl-med speed harness: pp ${fmt(result.rawSpeed.pp512)} tg ${fmt(result.rawSpeed.tg128)}`)

  // The path every task takes: chat template, sampler, stop detection, one stream.
  const engine = await createEngine({modelPath: spec.path, gpu: 'off', threads, contextSize: 1024})
  const rates = []
  for (let i = 0; i <= reps; i++) {
    const generation = await engine.chat({system: 'You are a clinical assistant.', user: `Summarize note ${i}: Pt is a 67yo M with CHF.`, maxTokens: 128})
    if (i > 0) rates.push(generation.outputTokens / (generation.durationMs / 1000)) // the first is a warm-up
  }

  await engine.dispose()
  result.chatTokensPerSecond = rates.reduce((a, b) => a + b, 0) / rates.length
  log(`jsl-med chat generation: ${fmt(result.chatTokensPerSecond)} tokens/s`)

  const input = Array.from({length: records}, (_, i) => JSON.stringify({id: i, text: `Pt ${i} has CHF, takes lisinopril ${i % 20} mg daily; denies chest pain.`})).join('\n') + '\n'
  result.ner = {}
  const outputs = {}
  for (const j of jobs) {
    const nerEngine = await createEngine({modelPath: spec.path, gpu: 'off', threads, contextSize: 2048, sequences: j})
    const lines = []
    const writer = {writeRecord: async (record) => void lines.push(JSON.stringify(record)), writeText: async () => {}}
    const started = performance.now()
    const summary = await runTask({
      task: nerTask,
      engine: nerEngine,
      source: await openRecords(Readable.from([Buffer.from(input)])),
      writer,
      settings: {maxTokens, temperature: 0},
      parallel: j,
    }).catch((error) => ({failed: error.details?.failed ?? -1, records}))
    const seconds = (performance.now() - started) / 1000
    await nerEngine.dispose()
    outputs[j] = lines
    result.ner[j] = {recordsPerSecond: records / seconds, seconds, failed: summary.failed}
    log(`ner -j ${j}: ${fmt(records / seconds)} records/s (${seconds.toFixed(1)} s, ${summary.failed} failed)`)
  }

  const [first, last] = [jobs[0], jobs.at(-1)]
  result.differentRecords = outputs[first].filter((line, i) => line !== outputs[last][i]).length
  result.peakRssBytes = process.resourceUsage().maxRSS * 1024
  process.send(result)
}

async function runLlamaBench(model, threads, reps) {
  if (!(await access(llamaBench).then(() => true, () => false))) return {skipped: `no llama-bench at ${llamaBench}`}
  const {stdout} = await promisify(execFile)(llamaBench, ['-m', model, '-t', String(threads), '-p', '512', '-n', '128', '-r', String(reps), '-o', 'json'], {maxBuffer: 1e7})
  const rows = JSON.parse(stdout)
  const pick = (test) => rows.find((row) => (test === 'pp' ? row.n_prompt > 0 && row.n_gen === 0 : row.n_gen > 0 && row.n_prompt === 0))?.avg_ts
  return {pp512: pick('pp'), tg128: pick('tg')}
}

function fmt(value) {
  return typeof value === 'number' ? value.toFixed(1) : '–'
}

function ratio(a, b) {
  return typeof a === 'number' && typeof b === 'number' ? `${(a / b).toFixed(2)}×` : '–'
}

function renderTable(results) {
  const jobs = Object.keys(results[0]?.ner ?? {})
  const header = ['model', 'llama-bench pp/tg', 'jsl raw pp/tg', 'raw tg ratio', 'jsl chat tg', 'chat ratio', ...jobs.map((j) => `ner -j ${j} rec/s`), 'best/j1', '-j diff', 'peak RSS']
  const rows = results.map((r) => {
    const perJob = jobs.map((j) => r.ner[j].recordsPerSecond)
    return [
      `${r.shape} ${r.quant}`,
      `${fmt(r.llamaBench.pp512)}/${fmt(r.llamaBench.tg128)}`,
      `${fmt(r.rawSpeed.pp512)}/${fmt(r.rawSpeed.tg128)}`,
      ratio(r.rawSpeed.tg128, r.llamaBench.tg128),
      fmt(r.chatTokensPerSecond),
      ratio(r.chatTokensPerSecond, r.llamaBench.tg128),
      ...perJob.map(fmt),
      ratio(Math.max(...perJob), perJob[0]),
      `${r.differentRecords}/${Object.values(r.ner)[0] ? Number(values.records) : 0}`,
      `${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
    ]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)))
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ')).join('\n')
}
