import {readdir, readFile} from 'node:fs/promises'
import {join, relative} from 'node:path'

import {describe, expect, it} from 'vitest'

import {root} from '../../helpers/spawn-cli.js'

describe('vision boundaries', () => {
  it('loads @fugood/llama.node only in the vision worker process, never in the CLI process', async () => {
    const files = (await readdir(join(root, 'src'), {recursive: true, withFileTypes: true})).filter((e) => e.isFile() && e.name.endsWith('.ts'))
    for (const file of files) {
      const path = join(file.parentPath, file.name)
      const where = relative(root, path)
      if ((await readFile(path, 'utf8')).includes('@fugood/llama.node') && where !== 'src/lib/engine/vision-worker.ts') {
        // Elsewhere it may only be named in comments and messages, never imported.
        expect(await readFile(path, 'utf8'), where).not.toMatch(/import\(?[^)\n]*['"]@fugood\/llama\.node['"]/)
      }
    }
  })
})
