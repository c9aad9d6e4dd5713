import {mkdtemp, readFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {root, runProcess} from '../../helpers/spawn-cli.js'

describe('README quick start', () => {
  it('makes a synthetic model and summarizes a note with the command README shows', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8')
    const command = /<!-- readme:try -->\n```sh\n(.+)\n/.exec(readme)![1]
    // Same command, but the model goes to a temporary directory instead of the checkout.
    const dir = await mkdtemp(join(tmpdir(), 'jsl-med-readme-'))
    const {code, stdout, stderr} = await runProcess('bash', ['-c', command.replaceAll('models/tiny.gguf', join(dir, 'tiny.gguf'))], '', {JSL_MED_THREADS: '1'})
    expect(code, stderr).toBe(0)
    expect(stdout.trim().length).toBeGreaterThan(0)
  })
})
