import {spawn, spawnSync} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {root, runCli, runProcess} from '../../helpers/spawn-cli.js'

const model = inject('tinyModelPath')
const tiny = ['--model', model, '--threads', '1', '--max-tokens', '5', '--gpu', 'off']
// Progress prints a plain line at every change, so that a run of a fraction of a second shows some.
const everyChange = {JSL_MED_PROGRESS_INTERVAL: '0'}
let dir: string
let input: string
let cacheDir: string

function records(count: number): string {
  return Array.from({length: count}, (_, i) => JSON.stringify({id: `r${i}`, text: `Pt ${i} is a 67yo M with CHF.`})).join('\n') + '\n'
}

/** Every stdout line is a JSON record: nothing of progress leaked there. */
function parseRecords(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
}

/** The done counts of the progress lines that show `done/total records`. */
function doneOfTotal(stderr: string, total: number): number[] {
  return [...stderr.matchAll(new RegExp(`(\\d+)/${total} records`, 'g'))].map((match) => Number(match[1]))
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jsl-med-progress-'))
  cacheDir = join(dir, 'cache')
  input = join(dir, 'in.ndjson')
  await writeFile(input, records(4))
})
afterAll(() => rm(dir, {recursive: true, force: true}))

describe('progress on a non-terminal stderr (spawned)', () => {
  it('prints plain lines with done/total for -i FILE, counting up to the total, and nothing of it on stdout', async () => {
    const {code, stdout, stderr} = await runCli(['summarize', '--engine', 'echo', '-i', input], '', everyChange)
    expect(code, stderr).toBe(0)
    expect(parseRecords(stdout).map((record) => record.id)).toEqual(['r0', 'r1', 'r2', 'r3'])
    expect(stderr).not.toContain('\u001B')
    const done = doneOfTotal(stderr, 4)
    expect(done.length).toBeGreaterThanOrEqual(4)
    expect(done).toEqual([...done].sort((a, b) => a - b))
    expect(done.at(-1)).toBe(4)
    expect(stderr.split('\n').filter(Boolean).every((line) => line.startsWith('summarize'))).toBe(true)
  })

  it('counts without a total for stdin', async () => {
    const {code, stdout, stderr} = await runCli(['ner', '--engine', 'echo'], records(3), everyChange)
    expect(code, stderr).toBe(0)
    expect(parseRecords(stdout)).toHaveLength(3)
    expect(stderr).toMatch(/\b3 records\b/)
    expect(stderr).not.toMatch(/\d+\/\d+ records/)
  })

  it('does not count a pipe given to -i, which would take its records from the run', async () => {
    const command = `${JSON.stringify(process.execPath)} bin/run.js ner --engine echo -i <(cat ${JSON.stringify(input)})`
    const {code, stdout, stderr} = await runProcess('bash', ['-c', command], '', everyChange)
    expect(code, stderr).toBe(0)
    expect(parseRecords(stdout)).toHaveLength(4)
    expect(stderr).not.toMatch(/\d+\/\d+ records/)
  })

  it('prints lines at a small interval while a real model loads and runs', async () => {
    const {code, stdout, stderr} = await runCli(['summarize', ...tiny, '-i', input], '', {JSL_MED_PROGRESS_INTERVAL: '0.05'})
    expect(code, stderr).toBe(0)
    expect(parseRecords(stdout)).toHaveLength(4)
    expect(stderr.split('\n').filter((line) => line.startsWith('summarize: ')).length).toBeGreaterThanOrEqual(1)
  })

  it('is silenced by -q', async () => {
    const echo = await runCli(['summarize', '--engine', 'echo', '-i', input, '-q'], '', everyChange)
    expect(echo.code, echo.stderr).toBe(0)
    expect(parseRecords(echo.stdout)).toHaveLength(4)
    expect(echo.stderr).toBe('')
    const bench = await runCli(['bench', ...benchArgs(), '-q'], '', {...everyChange, JSL_MED_CACHE_DIR: cacheDir})
    expect(bench.code, bench.stderr).toBe(0)
    expect(parseRecords(bench.stdout).length).toBeGreaterThan(0)
    expect(bench.stderr).toBe('')
  })

  it('shows the steps of bench as plain lines on stderr, and only records on stdout', async () => {
    const {code, stdout, stderr} = await runCli(['bench', ...benchArgs()], '', {...everyChange, JSL_MED_CACHE_DIR: cacheDir})
    expect(code, stderr).toBe(0)
    expect(parseRecords(stdout).length).toBeGreaterThan(0)
    expect(stderr.split('\n').filter((line) => line.startsWith('bench: ')).length).toBeGreaterThanOrEqual(3)
  })
})

function benchArgs(): string[] {
  return ['-m', model, '-r', '1', '-p', '16', '-n', '4', '--threads', '1', '--gpu', 'off', '--no-store']
}

const hasScript = spawnSync('script', ['--version'], {encoding: 'utf8'}).stdout?.includes('util-linux') === true
if (!hasScript) console.warn('progress.spawn: util-linux `script` is not installed; the pty tests are skipped (apt-get install util-linux)')

/**
 * Runs `command` in a pseudo-terminal of `columns` (util-linux `script`). The terminal's output (the command's stderr;
 * its stdout goes to a file) comes back as `transcript`. After `timeoutMs`, or once the transcript passes 1 MB, the
 * command and `script` are killed: the hang this guards against ignored SIGTERM, outlived `script`, and grew to GBs.
 */
function runInPty(command: string, columns: number, timeoutMs: number, env: Record<string, string> = {}): Promise<{code: number | null; killed: boolean; transcript: string}> {
  const pidFile = join(dir, `pty-${columns}.pid`)
  // ora draws only where CI is unset and TERM is not dumb (is-interactive).
  const {CI: _ci, ...parent} = process.env
  const childEnv = {...parent, TERM: 'xterm', NODE_ENV: 'production', FORCE_COLOR: '0', ...env}
  const script = `stty cols ${columns} 2>/dev/null; echo $$ > ${JSON.stringify(pidFile)}; exec ${command}`
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', script, '/dev/null'], {cwd: root, env: childEnv})
    let transcript = ''
    let killed = false
    const kill = async (): Promise<void> => {
      if (killed) return
      killed = true
      const pid = Number(await readFile(pidFile, 'utf8').catch(() => ''))
      if (pid > 0) process.kill(pid, 'SIGKILL')
      child.kill('SIGKILL')
    }

    const timer = setTimeout(kill, timeoutMs)
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      transcript += chunk
      if (transcript.length > 1024 * 1024) void kill()
    })
    child.stderr.resume()
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, killed, transcript})
    })
    child.stdin.end()
  })
}

describe('progress on a terminal (spawned in a pty through `script`)', () => {
  const summarize = (output: string): string => `${JSON.stringify(process.execPath)} bin/run.js summarize ${tiny.map((arg) => JSON.stringify(arg)).join(' ')} -i ${JSON.stringify(input)} > ${JSON.stringify(output)}`

  it.skipIf(!hasScript)('exits on a terminal of 0 columns, with plain lines, small output and every record (skipped without util-linux script)', async () => {
    const output = join(dir, 'zero.ndjson')
    const {code, killed, transcript} = await runInPty(summarize(output), 0, 60_000, everyChange)
    expect(killed, `${transcript.length} bytes, ending ${JSON.stringify(transcript.slice(-200))}`).toBe(false)
    expect(code, JSON.stringify(transcript.slice(-500))).toBe(0)
    expect(transcript.length).toBeLessThan(64 * 1024)
    // Redrawing (cursor to column 1, erase line) is what never ended at 0 columns.
    expect(transcript).not.toMatch(/\u001B\[(\d*G|\d*K)/)
    expect(transcript).toMatch(/summarize: /)
    expect(parseRecords(await readFile(output, 'utf8')).map((record) => record.id)).toEqual(['r0', 'r1', 'r2', 'r3'])
  })

  it.skipIf(!hasScript)('draws a live line on a terminal of 80 columns, ends, and keeps stdout to records (skipped without util-linux script)', async () => {
    const output = join(dir, 'live.ndjson')
    const {code, killed, transcript} = await runInPty(summarize(output), 80, 60_000)
    expect(killed, `${transcript.length} bytes, ending ${JSON.stringify(transcript.slice(-200))}`).toBe(false)
    expect(code, JSON.stringify(transcript.slice(-500))).toBe(0)
    expect(transcript.length).toBeLessThan(256 * 1024)
    expect(transcript).toContain('\u001B')
    const text = await readFile(output, 'utf8')
    expect(text).not.toContain('\u001B')
    expect(parseRecords(text)).toHaveLength(4)
  })
})
