#!/usr/bin/env node
// Start-up time of the built CLI: `--help`, and an echo-engine task over one record (`--engine echo`: everything
// before a model would load, plus one record). Prints min/median/max wall-clock seconds over N runs (default 10),
// after one unmeasured warm-up run each. Numbers only: no thresholds, no asserts.
// Usage: node scripts/bench-startup.js [RUNS]   (run `npm run build` first)
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const runs = Number(process.argv[2] ?? 10)
const cases = [
  // What this machine charges for any Node.js process, to read the other two against.
  {name: 'node -e 0 (baseline)', command: [process.execPath, '-e', '0'], input: ''},
  {name: '--help', args: ['--help'], input: ''},
  {name: 'summarize --engine echo (1 record)', args: ['summarize', '--engine', 'echo'], input: '{"id":1,"text":"Pt is a 67yo M with CHF."}\n'},
]

function timeOnce({args = [], command = [process.execPath, 'bin/run.js', ...args], input}) {
  const start = process.hrtime.bigint()
  const result = spawnSync(command[0], command.slice(1), {cwd: root, input, env: {...process.env, NODE_ENV: 'production'}})
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  if (result.status !== 0) throw new Error(`${command.join(' ')} exited ${result.status}: ${result.stderr}`)
  return seconds
}

for (const benchCase of cases) {
  timeOnce(benchCase)
  const times = Array.from({length: runs}, () => timeOnce(benchCase)).sort((a, b) => a - b)
  const middle = times.length / 2
  const median = times.length % 2 ? times[Math.floor(middle)] : (times[middle - 1] + times[middle]) / 2
  const f = (s) => s.toFixed(3)
  process.stdout.write(`${benchCase.name.padEnd(36)} min ${f(times[0])} s  median ${f(median)} s  max ${f(times.at(-1))} s  (${runs} runs)\n`)
}
