import {readdir, readFile} from 'node:fs/promises'
import {join, relative} from 'node:path'

import {describe, expect, it} from 'vitest'

import {root} from '../helpers/spawn-cli.js'

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {recursive: true, withFileTypes: true})
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name))
}

describe('architecture', () => {
  it('imports node-llama-cpp only in src/lib/engine, and only lazily (so --help never loads llama.cpp)', async () => {
    for (const file of await sourceFiles(join(root, 'src'))) {
      const text = await readFile(file, 'utf8')
      const staticImport = /^import\s+(?!type\b)[^'"]*from\s+'node-llama-cpp'/m.test(text)
      const anyUse = text.includes("'node-llama-cpp'")
      const where = relative(root, file)
      expect(staticImport, `${where} imports node-llama-cpp at load time`).toBe(false)
      if (anyUse) expect(where.startsWith('src/lib/engine/'), `${where} uses node-llama-cpp outside the engine`).toBe(true)
    }
  })

  it('writes to stdout only from lib/io and lib/cli', async () => {
    for (const file of await sourceFiles(join(root, 'src/lib'))) {
      const where = relative(root, file)
      if (where.startsWith('src/lib/io/') || where.startsWith('src/lib/cli/')) continue
      const text = await readFile(file, 'utf8')
      expect(/process\.stdout|console\.(log|info)/.test(text), `${where} writes to stdout`).toBe(false)
    }
  })
})

describe('README', () => {
  it('has the install and test commands .ci/run executes', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8')
    for (const marker of ['ci:install', 'ci:test', 'readme:try']) expect(readme).toMatch(new RegExp(`<!-- ${marker} -->\\n\`\`\`sh\\n.+\\n`))
  })
})

describe('README catalog table', () => {
  it('names every catalog model', async () => {
    const {listModels} = await import('../../src/lib/catalog/index.js')
    const readme = await readFile(join(root, 'README.md'), 'utf8')
    for (const model of listModels()) expect(readme, model.id).toContain(`\`${model.id}\``)
  })
})
