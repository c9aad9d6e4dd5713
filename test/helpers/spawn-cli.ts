import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

/** The repository root, for runCommand's `root` and for spawning bin/run.js. */
export const root = fileURLToPath(new URL('../..', import.meta.url))

/** What a finished child process left behind. */
export interface SpawnResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs the built CLI (`bin/run.js`, what users run) with `stdin` piped in. */
export function runCli(args: string[], stdin = '', env: Record<string, string> = {}): Promise<SpawnResult> {
  return runProcess(process.execPath, [`${root}bin/run.js`, ...args], stdin, env)
}

/** Runs any command with `stdin` piped in and collects its output. */
export function runProcess(command: string, args: string[], stdin = '', env: Record<string, string> = {}): Promise<SpawnResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {cwd: root, env: {...process.env, NODE_ENV: 'production', FORCE_COLOR: '0', ...env}})
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({code, signal, stdout, stderr}))
    child.stdin.on('error', () => {}) // the child may exit before reading all of stdin
    child.stdin.end(stdin)
  })
}
