import {spawn} from 'node:child_process'
import {closeSync, openSync} from 'node:fs'
import {copyFile, mkdtemp, readFile, truncate, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, inject, it} from 'vitest'

import {root, runCli, runProcess} from '../../helpers/spawn-cli.js'

const model = inject('tinyModelPath')
const run = [`${root}bin/run.js`, 'summarize', '--model', model, '--threads', '1', '--gpu', 'off']
let dir: string

function records(count: number, marker = ''): string {
  return Array.from({length: count}, (_, i) => JSON.stringify({id: `r${i}`, text: `${marker} Pt ${i} is a 67yo M with CHF.`})).join('\n') + '\n'
}

function parseLines(text: string): Array<{id?: string; error?: unknown}> {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
}

/** Starts the CLI with stdout going to a file; resolves when `ready(stdoutSoFar)` is true, then waits for exit. */
function startCli(args: string[], input: string, stdoutPath: string, flags: 'a' | 'w' = 'w') {
  const fd = openSync(stdoutPath, flags)
  const child = spawn(process.execPath, [...run, ...args], {cwd: root, stdio: ['pipe', fd, 'pipe'], env: {...process.env, FORCE_COLOR: '0'}})
  closeSync(fd)
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  child.stdin!.on('error', () => {})
  child.stdin!.end(input)
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null; stderr: string}>((resolve) => child.on('close', (code, signal) => resolve({code, signal, stderr})))
  const whenLines = async (count: number): Promise<void> => {
    for (;;) {
      const text = await readFile(stdoutPath, 'utf8').catch(() => '')
      if (text.split('\n').filter(Boolean).length >= count) return
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }

  return {child, exited, whenLines}
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jsl-med-failsafe-'))
})

describe('interrupts and broken pipes (spawned, real llama.cpp)', () => {
  it('Ctrl-C mid-run exits 130 and leaves only whole records on stdout', async () => {
    const out = join(dir, 'sigint.ndjson')
    const cli = startCli(['--max-tokens', '48'], records(300), out)
    await cli.whenLines(2)
    cli.child.kill('SIGINT')
    const {code, stderr} = await cli.exited
    expect(code).toBe(130)
    expect(stderr).toContain('E_INTERRUPTED')
    const lines = parseLines(await readFile(out, 'utf8'))
    expect(lines.length).toBeGreaterThanOrEqual(2)
    expect(lines.length).toBeLessThan(300)
    for (const [i, line] of lines.entries()) expect(line.id).toBe(`r${i}`)
  })

  it('SIGTERM mid-run (a scheduler, kill, timeout) stops the same way: exit 130, only whole records', async () => {
    const out = join(dir, 'sigterm.ndjson')
    const cli = startCli(['--max-tokens', '48'], records(300), out)
    await cli.whenLines(2)
    cli.child.kill('SIGTERM')
    const {code} = await cli.exited
    expect(code).toBe(130)
    const lines = parseLines(await readFile(out, 'utf8'))
    expect(lines.length).toBeLessThan(300)
    for (const [i, line] of lines.entries()) expect(line.id).toBe(`r${i}`)
  })

  it('`| head -1` ends quietly with exit 0 and no stack trace', async () => {
    const command = `set -o pipefail; printf '%s' "$INPUT" | node ${run.map((a) => `'${a}'`).join(' ')} --max-tokens 8 | head -1`
    const {code, stdout, stderr} = await runProcess('bash', ['-c', command], '', {INPUT: records(200)})
    expect(code).toBe(0)
    expect(parseLines(stdout)).toHaveLength(1)
    expect(stderr).not.toMatch(/EPIPE|at .*\.js:\d+/)
  })

  it('--resume after kill -9 completes the same set of ids, without duplicates', async () => {
    const input = records(60)
    const out = join(dir, 'resume.ndjson')
    const first = startCli(['--max-tokens', '24'], input, out)
    await first.whenLines(5)
    first.child.kill('SIGKILL')
    await first.exited
    const before = parseLines(await readFile(out, 'utf8')).length
    expect(before).toBeLessThan(60)

    const second = startCli(['--max-tokens', '24', '--resume', out], input, out, 'a')
    const {code, stderr} = await second.exited
    expect(code, stderr).toBe(0)
    const ids = parseLines(await readFile(out, 'utf8')).map((line) => line.id)
    expect(ids).toHaveLength(60)
    expect(new Set(ids)).toEqual(new Set(Array.from({length: 60}, (_, i) => `r${i}`)))
    expect(stderr).toMatch(/skipped \d+ records/)
  })
})

describe('broken models fail fast and clearly', () => {
  async function variant(name: string, edit: (bytes: Buffer) => Buffer | void): Promise<string> {
    const path = join(dir, name)
    const bytes = await readFile(model)
    await writeFile(path, edit(bytes) ?? bytes)
    return path
  }

  function patchAfter(bytes: Buffer, marker: string, offset: number, patch: Buffer): void {
    const at = bytes.indexOf(Buffer.from(marker))
    expect(at).toBeGreaterThan(0)
    patch.copy(bytes, at + marker.length + offset)
  }

  it.each([
    ['truncated', async () => {
      const path = join(dir, 'truncated.gguf')
      await copyFile(model, path)
      await truncate(path, 200_000)
      return path
    }],
    ['wrong magic', () => variant('magic.gguf', (bytes) => void bytes.write('GGUX', 0))],
    // general.architecture's value: u32 type (8 = string), u64 length 5, then "llama".
    ['unknown architecture', () => variant('arch.gguf', (bytes) => patchAfter(bytes, 'general.architecture', 12, Buffer.from('zzzzz')))],
    // token_embd.weight's tensor info: u32 n_dims, then u64 dims; claim 2^40 rows.
    ['absurd tensor size', () => variant('absurd.gguf', (bytes) => patchAfter(bytes, 'token_embd.weight', 4 + 8, Buffer.from([0, 0, 0, 0, 0, 1, 0, 0])))],
  ])('%s: exits 7 or 8 with a hint, within seconds, without a native crash', async (_name, make) => {
    const path = await make()
    const started = Date.now()
    const {code, signal, stdout, stderr} = await runCli(['summarize', '--model', path, '--threads', '1'], 'note')
    expect(signal).toBeNull()
    expect([7, 8]).toContain(code)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/Error \[E_[A-Z_]+]/)
    expect(stderr).toMatch(/Hint: /)
    expect(Date.now() - started).toBeLessThan(20_000)
  })
})

describe('no patient text in logs', () => {
  it('never writes record text to stderr or the audit log, even with --verbose and failures', async () => {
    const marker = 'MARKER-Jane-Q-Patient-1234'
    const audit = join(dir, 'audit.ndjson')
    const input = records(3, marker) + `{"id":"bad","text": "${marker}\n{"id":"long","text":"${`${marker} `.repeat(3000)}"}\n`
    const {code, stdout, stderr} = await runCli(['summarize', '--model', model, '--threads', '1', '--max-tokens', '8', '--verbose', '--audit', audit], input)
    expect(code).toBe(9)
    expect(parseLines(stdout)).toHaveLength(5)
    expect(stderr).not.toContain(marker)
    const auditText = await readFile(audit, 'utf8')
    expect(auditText).not.toContain(marker)
    expect(auditText.trim().split('\n')).toHaveLength(5)
  })
})
