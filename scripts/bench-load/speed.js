// Section `speed`: llama-bench (OpenMP) at fixed threads, and `jsl-med bench --tasks speed` at its default threads
// (prebuilt and native binaries) and at fixed threads, interleaved round by round, at each load condition.
import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {childEnv, fmt, lib, log, median, ratioCell, root, roundStart, runJs, runProgram, table, underCondition} from './common.js'

const NATIVE_DIR = join(root, 'node_modules/node-llama-cpp/llama/localBuilds')

/**
 * Measures every model at every condition; returns {rows, notes}: one row per (model, condition, round, program).
 * options: {models: [{shape, quant}], conditions, rounds: {shape: count}, reps: {shape: count}, benchThreads, llamaBench, cacheRoot, timeoutMs}
 */
export async function runSpeed(options) {
  const {ensureSyntheticModel, runInterleaved, runLlamaBench} = await lib('bench')
  const notes = []
  const native = existsSync(NATIVE_DIR)
  if (!native) notes.push(`native default skipped: no native build (${NATIVE_DIR} is missing; \`npm run build:native\` makes it).`)
  const haveLlamaBench = existsSync(options.llamaBench)
  if (!haveLlamaBench) notes.push(`llama-bench skipped: ${options.llamaBench} not found (--llama-bench PATH or LLAMA_BENCH).`)
  const env = (binary) => childEnv({JSL_MED_LLAMA_BINARY: binary, JSL_MED_CACHE_DIR: options.cacheRoot})

  const repsOf = (shape) => options.reps?.[shape] ?? 1
  const jslBench = async (shape, quant, binary, threads) => {
    const args = [runJs, 'bench', '--tasks', 'speed', '-r', String(repsOf(shape)), '--synthetic', shape, '--quant', quant, '--quiet']
    if (threads !== undefined) args.push('--threads', String(threads))
    const result = await runProgram(process.execPath, args, {env: env(binary), timeoutMs: options.timeoutMs})
    if (result.code !== 0) throw new Error(`jsl-med bench exit ${result.code}: ${result.stderr.trim().split('\n').slice(-2).join(' | ')}`)
    const record = result.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line)).find((line) => line.kind === 'speed')
    if (!record) throw new Error('jsl-med bench printed no speed record')
    return {
      pp: record.speed.pp.tokensPerSecond.mean,
      tg: record.speed.tg.tokensPerSecond.mean,
      // "2/1": pp at 2 threads, tg at 1 (the default's split); one number when both ran at the same count.
      threads: [...new Set([record.settings.threads ?? record.hardware.threads, record.settings.generateThreads ?? record.settings.threads ?? record.hardware.threads])].join('/'),
      threadChoice: record.settings.threadChoice,
      binary: record.software?.binary ?? record.hardware?.binary ?? record.software?.llamaCpp?.buildType,
    }
  }

  const rows = []
  for (const {shape, quant} of options.models) {
    const {spec} = await ensureSyntheticModel({shape, quant, cacheDir: join(options.cacheRoot, 'synthetic')})
    const model = `${shape} ${quant}`
    const programs = []
    if (haveLlamaBench) {
      for (const threads of options.benchThreads) {
        programs.push({name: `llama-bench t${threads}`, run: () => runLlamaBench({path: options.llamaBench, modelPath: spec.path, threads, repetitions: repsOf(shape), timeoutMs: options.timeoutMs})})
      }
    }

    programs.push({name: 'prebuilt default', run: () => jslBench(shape, quant, 'prebuilt')})
    if (native) programs.push({name: 'native default', run: () => jslBench(shape, quant, 'native')})
    for (const threads of options.benchThreads) programs.push({name: `prebuilt t${threads}`, run: () => jslBench(shape, quant, 'prebuilt', threads)})
    // A program that fails in one round is a row with its error, not the end of the benchmark.
    const safe = programs.map(({name, run}) => ({name, run: () => run().catch((error) => ({error: error.message}))}))

    for (const condition of options.conditions) {
      const label = `speed ${model}, ${condition.name}`
      const roundCount = options.rounds[shape]
      const rounds = await underCondition(condition, () =>
        runInterleaved({
          rounds: roundCount,
          programs: safe,
          rotate: true,
          atStart: (round) => roundStart(`${label}, round ${round}/${roundCount}`),
          onResult: (round, name, value) => log(`  ${name}: ${value.error ? `failed: ${value.error}` : `pp ${fmt(value.pp)} tg ${fmt(value.tg)} t/s${value.threads ? ` at ${value.threads} threads` : ''}`}`),
        }),
      )
      for (const {round, start, results} of rounds) {
        for (const {name, value} of results) rows.push({section: 'speed', model, condition: condition.name, round, ...start, program: name, ...value})
      }
    }
  }

  return {rows, notes, programs: speedPrograms(options.benchThreads, native, haveLlamaBench)}
}

// "3" or "0.25b: 5, 1.7b: 3" for the heading.
function countsText(counts) {
  const entries = Object.entries(counts)
  if (entries.every(([, count]) => count === entries[0][1])) return String(entries[0][1])
  return entries.map(([shape, count]) => `${shape}: ${count}`).join(', ')
}

// ", each the mean of 3 repetitions" (or "of 0.25b: 3, 1.7b: 1 repetitions") for the heading; nothing at 1.
function repsNote(reps) {
  return Object.values(reps).every((count) => count === 1) ? '' : `, each the mean of ${countsText(reps)} repetitions`
}

function speedPrograms(benchThreads, native, haveLlamaBench) {
  return [
    ...(haveLlamaBench ? benchThreads.map((t) => `llama-bench t${t}`) : []),
    'prebuilt default',
    ...(native ? ['native default'] : []),
    ...benchThreads.map((t) => `prebuilt t${t}`),
  ]
}

/** The speed tables: medians per (model, condition, program), then the ratios against the targets. */
export function renderSpeed({rows, notes, programs}, {rounds, reps = {}}) {
  const groups = new Map()
  for (const row of rows) {
    const key = `${row.model}\u0000${row.condition}`
    if (!groups.has(key)) groups.set(key, {model: row.model, condition: row.condition, rows: []})
    groups.get(key).rows.push(row)
  }

  const figures = []
  const ratios = []
  for (const group of groups.values()) {
    const of = (program) => group.rows.filter((row) => row.program === program)
    const med = (program, field) => median(of(program).map((row) => row[field]))
    const byRound = [...new Map(group.rows.map((row) => [row.round, row])).values()]
    const cell = (program) => {
      const list = of(program)
      if (list.length === 0) return '–'
      if (list.every((row) => row.error)) return 'failed'
      const threads = [...new Set(list.map((row) => row.threads).filter(Boolean))].join(',')
      return `${fmt(med(program, 'pp'))} / ${fmt(med(program, 'tg'))}${program.includes('default') && threads ? ` (t${threads})` : ''}`
    }

    figures.push([
      group.model,
      group.condition,
      byRound.map((row) => fmt(row.load1, 2)).join(', '),
      byRound.map((row) => fmt(row.othersBusy, 2)).join(', '),
      ...programs.map(cell),
    ])
    const best = (prefix, field) => {
      const values = programs.filter((p) => p.startsWith(prefix)).map((p) => med(p, field)).filter((v) => v !== undefined)
      return values.length > 0 ? Math.max(...values) : undefined
    }

    const pair = (program, prefix, target) =>
      `${ratioCell(med(program, 'pp'), best(prefix, 'pp'), target)} / ${ratioCell(med(program, 'tg'), best(prefix, 'tg'), target)}`
    ratios.push([
      group.model,
      group.condition,
      programs.includes('native default') ? pair('native default', 'llama-bench t', {atLeast: 0.95}) : '– (no native build)',
      pair('prebuilt default', 'prebuilt t', {atLeast: 0.9}),
      pair('prebuilt default', 'llama-bench t', {}),
    ])
  }

  return [
    `### Speed: pp512 / tg128 tokens/s, median of ${countsText(rounds)} interleaved rounds${repsNote(reps)} (default: threads jsl-med chose)`,
    '',
    table(['model', 'load', 'load1 per round', 'others busy per round', ...programs], figures),
    '',
    '### Speed ratios (pp / tg; medians at the same load)',
    '',
    table(['model', 'load', 'native default / best llama-bench (≥ 0.95)', 'prebuilt default / best fixed prebuilt (≥ 0.9)', 'prebuilt default / best llama-bench'], ratios),
    ...notes.map((note) => `\nNote: ${note}`),
    ...[...new Set(rows.filter((row) => row.error).map((row) => `${row.program}: ${row.error}`))].map((failure) => `\nFailed: ${failure}`),
  ].join('\n')
}
