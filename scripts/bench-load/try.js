// Section `try`: README's try command (the fenced block after `<!-- readme:try -->`), timed idle and with one busy
// core, interleaved round by round. The model it writes goes to a fresh temporary folder, never into the checkout.
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {childEnv, fmt, lib, log, median, ratioCell, root, roundStart, runProgram, table, underCondition} from './common.js'

/** The try command of README.md. */
export async function readTryCommand() {
  const readme = await readFile(join(root, 'README.md'), 'utf8')
  const match = /<!-- readme:try -->\s*```(?:sh|bash)?\n([\s\S]*?)\n```/.exec(readme)
  if (!match) throw new Error('README.md has no fenced block after <!-- readme:try -->')
  return match[1].trim()
}

/** Times the command `rounds` times idle and `rounds` times with one busy core; returns {rows, command}. */
export async function runTry({rounds, timeoutMs}) {
  const {runInterleaved} = await lib('bench')
  const command = await readTryCommand()
  log(`try: ${command}`)
  const once = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jsl-med-try-'))
    try {
      const result = await runProgram('bash', ['-c', command.replaceAll('models/', `${dir}/`)], {env: childEnv(), timeoutMs})
      if (result.code !== 0) return {error: `exit ${result.code}: ${result.stderr.trim().split('\n').slice(-2).join(' | ')}`}
      return {seconds: result.ms / 1000}
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  }

  const programs = [
    {name: 'idle', run: once},
    {name: '1 busy', run: () => underCondition({name: '1 busy', busy: 1}, once)},
  ]
  const results = await runInterleaved({
    rounds,
    programs,
    rotate: true,
    atStart: (round) => roundStart(`try, round ${round}/${rounds}`),
    onResult: (round, name, value) => log(`  ${name}: ${value.error ? `failed: ${value.error}` : `${fmt(value.seconds, 2)} s`}`),
  })
  const rows = results.flatMap(({round, start, results: list}) => list.map(({name, value}) => ({section: 'try', round, ...start, condition: name, ...value})))
  return {rows, command}
}

/** Per round: idle and loaded seconds and their ratio; then the medians and the ratio against the target. */
export function renderTry({rows, command}) {
  const rounds = [...new Set(rows.map((row) => row.round))]
  const at = (round, condition) => rows.find((row) => row.round === round && row.condition === condition)
  const body = rounds.map((round) => {
    const [idle, busy] = [at(round, 'idle'), at(round, '1 busy')]
    return [String(round), fmt(idle?.load1, 2), fmt(idle?.othersBusy, 2), idle?.error ? 'failed' : fmt(idle?.seconds, 2), busy?.error ? 'failed' : fmt(busy?.seconds, 2), ratioCell(busy?.seconds, idle?.seconds)]
  })
  const [idle, busy] = ['idle', '1 busy'].map((condition) => median(rows.filter((row) => row.condition === condition).map((row) => row.seconds)))
  body.push(['median', '', '', fmt(idle, 2), fmt(busy, 2), ratioCell(busy, idle, {atMost: 2})])
  return [
    "### README's try command: seconds, idle and with one busy core (target: loaded / idle ≤ 2×)",
    '',
    `\`${command}\``,
    '',
    table(['round', 'load1', 'others busy', 'idle s', '1 busy core s', 'loaded / idle'], body),
  ].join('\n')
}
