#!/usr/bin/env node
// Times `jsl-med hw` (the built CLI, bin/run.js) over several runs and prints wall-clock statistics.
// Usage: node scripts/bench-hw.js [--runs N] [--json] [-- extra hw flags]
// Issue 3 asks for `hw` under 2 s on the development machine; this measures it instead of a timed test.
import {spawnSync} from 'node:child_process'
import {loadavg} from 'node:os'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

const {values, positionals} = parseArgs({
  allowPositionals: true,
  options: {runs: {type: 'string', default: '5'}, json: {type: 'boolean', default: false}},
})
const runs = Number(values.runs)
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write('Usage: node scripts/bench-hw.js [--runs N] [--json] [-- extra hw flags]\n')
  process.exit(2)
}

const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const variants = positionals.length > 0 ? [positionals] : [['hw'], ['hw', '--json'], ['hw', '--model', 'medgemma-4b'], ['hw', '--load-backend']]

function time(args) {
  const started = process.hrtime.bigint()
  const child = spawnSync(process.execPath, [bin, ...args], {encoding: 'utf8', env: {...process.env, NODE_ENV: 'production'}})
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (child.status !== 0) throw new Error(`jsl-med ${args.join(' ')} exited ${child.status}: ${child.stderr.slice(0, 500)}`)
  return ms
}

// One untimed run warms the file cache, as a user's second call would be.
time(variants[0])
const results = []
for (const args of variants) {
  const samples = Array.from({length: runs}, () => time(args)).sort((a, b) => a - b)
  const median = samples.length % 2 ? samples[(samples.length - 1) / 2] : (samples[samples.length / 2 - 1] + samples[samples.length / 2]) / 2
  results.push({command: `jsl-med ${args.join(' ')}`, runs, minMs: Math.round(samples[0]), medianMs: Math.round(median), maxMs: Math.round(samples.at(-1))})
}

const load = loadavg()[0]
if (values.json) {
  for (const result of results) process.stdout.write(JSON.stringify({...result, loadAverage1m: Number(load.toFixed(2))}) + '\n')
} else {
  const width = Math.max(...results.map((result) => result.command.length))
  process.stdout.write(`${'command'.padEnd(width)}  runs  min ms  median ms  max ms\n`)
  for (const result of results) {
    process.stdout.write(
      `${result.command.padEnd(width)}  ${String(result.runs).padStart(4)}  ${String(result.minMs).padStart(6)}  ${String(result.medianMs).padStart(9)}  ${String(result.maxMs).padStart(6)}\n`,
    )
  }

  process.stdout.write(`(1-minute load average during the runs: ${load.toFixed(2)}; the budget of issue 3 is 2000 ms)\n`)
}
