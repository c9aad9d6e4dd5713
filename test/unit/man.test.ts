import {execFile} from 'node:child_process'
import {mkdtemp, readdir, readFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {describe, expect, it} from 'vitest'

import {root} from '../helpers/spawn-cli.js'

const run = promisify(execFile)

/** The committed text of a file, or undefined outside a git checkout. */
async function committed(path: string): Promise<string | undefined> {
  try {
    return (await run('git', ['show', `HEAD:${path}`], {cwd: root, maxBuffer: 10_000_000})).stdout
  } catch {
    return undefined
  }
}

describe('man pages', () => {
  it('are generated from the commands and committed up to date (run `npm run build` and commit man/)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jsl-med-man-'))
    await run(process.execPath, [join(root, 'scripts/gen-man.js'), dir], {cwd: root})
    const generated = (await readdir(dir)).sort()
    expect(generated).toContain('jsl-med.1')
    expect(generated).toContain('jsl-med-summarize.1')
    const inRepo = (await readdir(join(root, 'man'))).filter((f) => f.endsWith('.1')).sort()
    expect(inRepo).toEqual(generated)
    for (const file of generated) {
      const fresh = await readFile(join(dir, file), 'utf8')
      const reference = (await committed(`man/${file}`)) ?? (await readFile(join(root, 'man', file), 'utf8'))
      expect(reference, `man/${file} is stale`).toBe(fresh)
    }
  })

  it('are all listed in package.json "man", so that `man jsl-med-<command>` works after a global install', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {man: string[]}
    const pages = (await readdir(join(root, 'man'))).filter((f) => f.endsWith('.1'))
    expect([...pkg.man].sort()).toEqual(pages.map((f) => `./man/${f}`).sort())
  })

  it('match oclif.manifest.json, which `npm run build` writes so that --help reads no command module', async () => {
    const manifest = JSON.parse(await readFile(join(root, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>}
    const pages = (await readdir(join(root, 'man'))).filter((f) => f.endsWith('.1') && f !== 'jsl-med.1')
    expect(Object.keys(manifest.commands).map((id) => `jsl-med-${id.replaceAll(':', '-')}.1`).sort()).toEqual(pages.sort())
  })

  it('render without groff warnings', async () => {
    const groff = await run('groff', ['--version']).catch(() => undefined)
    if (!groff) return
    for (const file of await readdir(join(root, 'man'))) {
      const {stderr} = await run('groff', ['-man', '-ww', '-z', join(root, 'man', file)])
      expect(stderr, file).toBe('')
    }
  })
})
