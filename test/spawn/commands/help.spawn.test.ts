import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {describe, expect, it} from 'vitest'

import {root, runCli, runProcess} from '../../helpers/spawn-cli.js'

/** Runs oclif's own help for `args`, the way bin/run.js did before it had pre-rendered pages. */
function oclifHelp(args: string[], env: Record<string, string> = {}) {
  const program = `const {execute} = await import('@oclif/core/execute')
await execute({dir: ${JSON.stringify(pathToFileURL(join(root, 'package.json')).href)}, args: JSON.parse(process.argv[1])})`
  return runProcess(process.execPath, ['--input-type=module', '-e', program, JSON.stringify(args)], '', env)
}

const manifest = JSON.parse(await readFile(join(root, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>}
const commandIds = Object.keys(manifest.commands)

describe('pre-rendered help pages', () => {
  it('print what oclif prints, for the root and every command, in each way of asking', async () => {
    for (const id of ['', ...commandIds]) {
      const words = id ? id.split(':') : []
      const expected = await oclifHelp([...words, '--help'])
      expect(expected.code, id).toBe(0)
      for (const args of [[...words, '--help'], ['help', ...words]]) {
        const result = await runCli(args)
        expect({args, code: result.code, stdout: result.stdout, stderr: result.stderr}).toEqual({
          args,
          code: 0,
          stdout: expected.stdout,
          stderr: '',
        })
      }
    }
    expect((await runCli([])).stdout).toBe((await oclifHelp([])).stdout)
  })

  it('keep the styles oclif gives where colour is wanted, and none with NO_COLOR', async () => {
    const styled = await runCli(['ner', '--help'], '', {FORCE_COLOR: '1'})
    expect(styled.stdout).toBe((await oclifHelp(['ner', '--help'], {FORCE_COLOR: '1'})).stdout)
    expect(styled.stdout).toContain('\u001B[1mUSAGE')
    const plain = await runCli(['ner', '--help'], '', {FORCE_COLOR: '', NO_COLOR: '1'})
    expect(plain.stdout).not.toContain('\u001B[')
  })

  it('show the version of the running Node.js, not the one that built them', async () => {
    const {stdout} = await runCli(['--help'])
    expect(stdout).toContain(`node-${process.version}`)
    expect(stdout).not.toContain('\u0000')
  })

  it('leave other widths and other arguments to oclif', async () => {
    const narrow = await runCli(['ner', '--help'], '', {OCLIF_COLUMNS: '50'})
    expect(narrow.stdout).toBe((await oclifHelp(['ner', '--help'], {OCLIF_COLUMNS: '50'})).stdout)
    const unknown = await runCli(['nope', '--help'])
    expect(unknown.code).not.toBe(0)
  })
})
