#!/usr/bin/env node
// Renders every help page with oclif's own renderer (the CLI itself, spawned) into dist/help-pages.json, plain and
// with styles, so that bin/run.js can print `--help` without loading @oclif/core (src/lib/cli/help/pages.ts).
// Usage: node scripts/gen-help.js   (after gen-manifest.js; `npm run build` does)
import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {readFile, rm, writeFile} from 'node:fs/promises'
import {arch, platform} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

const root = fileURLToPath(new URL('..', import.meta.url))
const {HELP_PAGES_PATH, USER_AGENT_PLACEHOLDER, helpPageId} = await import('../dist/lib/cli/help/pages.js')
const pagesPath = join(root, HELP_PAGES_PATH)
await rm(pagesPath, {force: true}) // the CLI must not answer from an older file while it renders the new one

const manifestText = await readFile(join(root, 'oclif.manifest.json'))
const manifest = JSON.parse(manifestText.toString('utf8'))
const pjson = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'))
const userAgent = `${pjson.name}/${pjson.version} ${platform()}-${arch()} node-${process.version}`
const run = promisify(execFile)
const {OCLIF_COLUMNS, NO_COLOR, FORCE_COLOR, ...env} = process.env

async function render(args, styled) {
  const {stdout} = await run(process.execPath, [join(root, 'bin/run.js'), ...args], {
    cwd: root,
    env: {...env, ...(styled ? {FORCE_COLOR: '1'} : {NO_COLOR: '1'})},
  })
  return stdout.replaceAll(userAgent, USER_AGENT_PLACEHOLDER)
}

const pages = {}
for (const id of ['', ...Object.keys(manifest.commands)]) {
  const args = [...(id ? id.split(':') : []), '--help']
  if (helpPageId(args) !== id) throw new Error(`help/pages.ts would not find the page of "${id}"`)
  const [plain, styled] = await Promise.all([render(args, false), render(args, true)])
  pages[id] = {plain, styled}
}

const manifestSha256 = createHash('sha256').update(manifestText).digest('hex')
await writeFile(pagesPath, JSON.stringify({manifestSha256, pages}) + '\n')
process.stderr.write(`Wrote ${Object.keys(pages).length} help pages to ${HELP_PAGES_PATH}\n`)
