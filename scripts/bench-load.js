#!/usr/bin/env node
// Speed under load, like with like: every compared program runs interleaved, round by round (one repetition of each
// per round, each round starting one program later), at each load condition (idle, or N busy child processes this script starts and
// kills), and every round prints the 1-minute load average and the cores other processes kept busy at its start.
// Figures are medians of the rounds; ratios compare programs measured in the same rounds. Nothing here asserts.
//
// Sections (--sections, default speed,try,ner):
//   speed  llama-bench (OpenMP) -t 1 / -t 2; `jsl-med bench --tasks speed -r 1` at its default threads with the
//          prebuilt binary and the native one (JSL_MED_LLAMA_BINARY), and at --threads 1 / 2 (prebuilt)
//   try    README's try command (the block after <!-- readme:try -->), idle and with one busy core
//   ner    `jsl-med ner -j auto` and -j 1 over --records short records vs llama-server -np 4 (4 clients), same model,
//          threads, prompts, grammar (the GBNF jsl-med compiles ner's JSON schema to) and max tokens; --server-fa
//          auto,off also runs a llama-server with -fa off (jsl-med's CPU default), the ratio then against the faster
//          server; every round starts both cold (a new jsl-med process, llama-server started again), so neither finds
//          the shared prompt prefix from a round before
//
// Usage: node scripts/bench-load.js [--sections speed,try,ner] [--shapes 0.25b,1.7b] [--quants q4,q8]
//          [--conditions idle,1] [--rounds 3] [--reps 1] [--bench-threads 1,2] [--records 64] [--max-tokens 32]
//          [--jobs auto,1] [--server-fa auto,off] [--ner-shape S] [--ner-quant Q] [--ner-conditions idle] [--timeout SECONDS]
//          [--llama-bench PATH] [--llama-server PATH] [--json]
// --reps: repetitions of each speed program within a round (llama-bench -r, jsl-med bench -r), one count or one per
// shape (`0.25b=3,1.7b=1`): a 0.25b tg128 lasts under a second, so one repetition is at the mercy of a scheduler blip.
// --rounds takes one count or one per shape too (`0.25b=5,1.7b=3`: a 0.25b round costs about a minute, a 1.7b one
// five); try and ner run the fewest rounds any shape got.
// Needs `npm run build`. llama-bench and llama-server: $LLAMA_BENCH / $LLAMA_SERVER (default /tmp/llama-omp/bin/…).
// Markdown tables on stdout (--json: one raw row per line instead), progress on stderr.
import {existsSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

const usage = 'Usage: node scripts/bench-load.js [--sections speed,try,ner] [--shapes 0.25b,1.7b] [--quants q4,q8] [--conditions idle,1] [--rounds 3] [--reps 1] [--bench-threads 1,2] [--records 64] [--max-tokens 32] [--jobs auto,1] [--server-fa auto,off] [--ner-shape S] [--ner-quant Q] [--ner-conditions idle] [--timeout SECONDS] [--llama-bench PATH] [--llama-server PATH] [--json]\n'
const {values} = parseArgs({
  options: {
    sections: {type: 'string', default: 'speed,try,ner'},
    shapes: {type: 'string', default: '0.25b,1.7b'},
    quants: {type: 'string', default: 'q4,q8'},
    conditions: {type: 'string', default: 'idle,1'},
    rounds: {type: 'string', default: '3'},
    reps: {type: 'string', default: '1'},
    'bench-threads': {type: 'string', default: '1,2'},
    records: {type: 'string', default: '64'},
    'max-tokens': {type: 'string', default: '32'},
    jobs: {type: 'string', default: 'auto,1'},
    'server-fa': {type: 'string', default: 'auto'},
    'ner-shape': {type: 'string'},
    'ner-quant': {type: 'string'},
    'ner-conditions': {type: 'string', default: 'idle'},
    timeout: {type: 'string', default: '3600'},
    'llama-bench': {type: 'string', default: process.env.LLAMA_BENCH ?? '/tmp/llama-omp/bin/llama-bench'},
    'llama-server': {type: 'string', default: process.env.LLAMA_SERVER ?? '/tmp/llama-omp/bin/llama-server'},
    json: {type: 'boolean', default: false},
    help: {type: 'boolean', short: 'h', default: false},
  },
})
if (values.help) {
  process.stdout.write(usage)
  process.exit(0)
}

if (!existsSync(new URL('../dist/lib/bench/index.js', import.meta.url))) {
  process.stderr.write('dist/ is missing: run `npm run build` first\n')
  process.exit(2)
}

const {cleanupAll, log, parseConditions} = await import('./bench-load/common.js')
const list = (text) => text.split(',').map((item) => item.trim()).filter(Boolean)
const whole = (text, name) => {
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`--${name}: expected a whole number ≥ 1, got ${text}\n${usage}`)
    process.exit(2)
  }

  return value
}

// `3` → every shape 3; `0.25b=3,1.7b=1` → per shape (a shape not named gets `fallback`).
function perShape(text, shapes, name, fallback) {
  if (!text.includes('=')) {
    const count = whole(text, name)
    return Object.fromEntries(shapes.map((shape) => [shape, count]))
  }

  const counts = Object.fromEntries(shapes.map((shape) => [shape, fallback]))
  for (const item of list(text)) {
    const [shape, count] = item.split('=')
    if (!shapes.includes(shape)) {
      process.stderr.write(`--${name}: ${shape} is not one of --shapes (${shapes.join(', ')})\n`)
      process.exit(2)
    }

    counts[shape] = whole(count ?? '', name)
  }

  return counts
}

const sections = list(values.sections)
const unknown = sections.filter((section) => !['speed', 'try', 'ner'].includes(section))
if (unknown.length > 0) {
  process.stderr.write(`--sections: unknown ${unknown.join(', ')} (speed, try, ner)\n`)
  process.exit(2)
}

const shapes = list(values.shapes)
const quants = list(values.quants)
const speedRounds = perShape(values.rounds, shapes, 'rounds', 3)
// try and ner run once per condition, not per shape: the fewest rounds any shape got.
const rounds = Math.min(...Object.values(speedRounds))
const timeoutMs = whole(values.timeout, 'timeout') * 1000
// The bench children find the synthetic models here: `jsl-med bench --synthetic` reads $JSL_MED_CACHE_DIR/synthetic.
const cacheRoot = process.env.JSL_MED_CACHE_DIR ?? join(tmpdir(), 'jsl-med-bench-load')
const emit = (rows) => {
  if (values.json) for (const row of rows) process.stdout.write(JSON.stringify(row) + '\n')
}

const tables = []
try {
  if (sections.includes('speed')) {
    const {runSpeed, renderSpeed} = await import('./bench-load/speed.js')
    const models = shapes.flatMap((shape) => quants.map((quant) => ({shape, quant})))
    const benchThreads = list(values['bench-threads']).map((t) => whole(t, 'bench-threads'))
    const reps = perShape(values.reps, shapes, 'reps', 1)
    const result = await runSpeed({models, conditions: parseConditions(values.conditions), rounds: speedRounds, reps, benchThreads, llamaBench: values['llama-bench'], cacheRoot, timeoutMs})
    for (const note of result.notes) log(`note: ${note}`)
    emit(result.rows)
    tables.push(renderSpeed(result, {rounds: speedRounds, reps}))
  }

  if (sections.includes('try')) {
    const {runTry, renderTry} = await import('./bench-load/try.js')
    const result = await runTry({rounds, timeoutMs})
    emit(result.rows)
    tables.push(renderTry(result))
  }

  if (sections.includes('ner')) {
    const {runNer, renderNer} = await import('./bench-load/ner.js')
    const options = {
      shape: values['ner-shape'] ?? shapes[0],
      quant: values['ner-quant'] ?? quants[0],
      records: whole(values.records, 'records'),
      maxTokens: whole(values['max-tokens'], 'max-tokens'),
      jobs: list(values.jobs),
      serverFlashAttention: list(values['server-fa']),
      conditions: parseConditions(values['ner-conditions']),
      rounds,
      llamaServer: values['llama-server'],
      cacheRoot,
      timeoutMs,
    }
    if (!existsSync(options.llamaServer)) throw new Error(`no llama-server at ${options.llamaServer} (--llama-server PATH or LLAMA_SERVER)`)
    const result = await runNer(options)
    emit(result.rows)
    tables.push(renderNer(result, options))
  }

  if (!values.json) process.stdout.write(tables.join('\n\n') + '\n')
} catch (error) {
  log(`bench-load: ${error.stack ?? error.message}`)
  process.exitCode = 1
} finally {
  await cleanupAll()
}
