import {describe, expect, inject, it} from 'vitest'

import {root, runCli, runProcess} from '../../helpers/spawn-cli.js'

const model = inject('tinyModelPath')
const embedModel = inject('tinyEmbedModelPath')

/** Runs `jsl-med chat` under a pseudo-terminal (util-linux `script`), typing `lines`. */
function chatOnPty(args: string[], lines: string[]) {
  const command = ['node', `${root}bin/run.js`, 'chat', ...args].map((arg) => `'${arg}'`).join(' ')
  return runProcess('script', ['-qfec', command, '/dev/null'], lines.map((line) => `${line}\n`).join(''))
}

describe('bin/run.js chat (spawned under a pseudo-terminal)', () => {
  it('answers two turns, keeps them as history, and exits on /exit', async () => {
    const {code, stdout} = await chatOnPty(['-m', model, '--threads', '1', '--gpu', 'off', '--max-tokens', '8'], ['What is heart failure?', 'And its treatment?', '/exit'])
    expect(code, stdout).toBe(0)
    // The first prompt, then one after each turn while the terminal is open: the typed-ahead input may end (EOF)
    // while a turn is generating, and then the rest are answered without a prompt. The farewell counts the turns.
    expect(stdout.match(/> /g)?.length).toBeGreaterThanOrEqual(1)
    expect(stdout).toMatch(/bye \(2 turns\)/)
  })

  it('forgets with /reset, and with --index lists the sources of a grounded turn', async () => {
    const dir = await import('node:fs/promises').then(({mkdtemp}) => mkdtemp(`${root}.vitest-chat-`))
    try {
      const {writeFile} = await import('node:fs/promises')
      await writeFile(`${dir}/a.txt`, 'Zanubrutinib treats mantle cell lymphoma.')
      const add = await runCli(['index', 'add', `${dir}/a.txt`, '--index', `${dir}/index`, '--embed-model', embedModel, '-t', '1', '--gpu', 'off'])
      expect(add.code, add.stderr).toBe(0)
      const {code, stdout} = await chatOnPty(['-m', model, '-t', '1', '--gpu', 'off', '--max-tokens', '8', '--index', `${dir}/index`], ['zanubrutinib?', '/reset', '/exit'])
      expect(code, stdout).toBe(0)
      expect(stdout).toMatch(/sources: \[1\] .*a\.txt#0/)
      expect(stdout).toMatch(/conversation is forgotten/)
      expect(stdout).toMatch(/bye \(1 turn\)/)
    } finally {
      await import('node:fs/promises').then(({rm}) => rm(dir, {recursive: true, force: true}))
    }
  })

  it('explains and points to ask when stdin is not a terminal', async () => {
    const {code, stderr, stdout} = await runCli(['chat', '-m', model], 'hello\n')
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/E_NOT_A_TERMINAL/)
    expect(stderr).toMatch(/jsl-med ask/)
  })
})
