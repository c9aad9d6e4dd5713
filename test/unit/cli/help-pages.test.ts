import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {createHash} from 'node:crypto'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {afterAll, afterEach, beforeAll, describe, expect, it, vi} from 'vitest'

import {HELP_PAGES_PATH, helpPageId, writePrerenderedHelp} from '../../../src/lib/cli/index.js'

describe('helpPageId', () => {
  it('finds the page in each way of asking for help', () => {
    expect(helpPageId([])).toBe('')
    expect(helpPageId(['--help'])).toBe('')
    expect(helpPageId(['help'])).toBe('')
    expect(helpPageId(['ner', '--help'])).toBe('ner')
    expect(helpPageId(['help', 'ner'])).toBe('ner')
    expect(helpPageId(['models', 'rm', '--help'])).toBe('models:rm')
    expect(helpPageId(['help', 'models', 'rm'])).toBe('models:rm')
  })

  it('leaves anything else to oclif', () => {
    expect(helpPageId(['ner'])).toBeUndefined()
    expect(helpPageId(['ner', '-m', 'tiny', '--help'])).toBeUndefined()
    expect(helpPageId(['--help', 'ner'])).toBeUndefined()
    expect(helpPageId(['note.txt', '--help'])).toBeUndefined()
    expect(helpPageId(['--version'])).toBeUndefined()
  })
})

describe('writePrerenderedHelp', () => {
  let dir: string
  let rootUrl: URL
  const manifest = '{"commands":{"ner":{}}}'
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-help-pages-'))
    rootUrl = pathToFileURL(dir + '/')
    await mkdir(join(dir, 'dist'))
    await writeFile(join(dir, 'package.json'), '{"name":"jsl-med","version":"9.9.9"}')
    await writeFile(join(dir, 'oclif.manifest.json'), manifest)
  })
  afterAll(() => rm(dir, {recursive: true, force: true}))
  afterEach(() => vi.restoreAllMocks())

  async function writePages(manifestText: string) {
    const manifestSha256 = createHash('sha256').update(manifestText).digest('hex')
    const pages = {ner: {plain: 'NER \u0000USER_AGENT\u0000\n', styled: '\u001B[1mNER\u001B[22m \u0000USER_AGENT\u0000\n'}}
    await writeFile(join(dir, HELP_PAGES_PATH), JSON.stringify({manifestSha256, pages}))
  }

  function captureStdout(): string[] {
    const written: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0)
    return written
  }

  it('writes the page with the running user agent', async () => {
    await writePages(manifest)
    const written = captureStdout()
    expect(writePrerenderedHelp(['ner', '--help'], rootUrl)).toBe(true)
    // Plain or styled, as ansis decides from this process's environment (CI=true turns styles on).
    expect(written.join('').replaceAll(/\u001B\[\d+m/g, '')).toBe(`NER jsl-med/9.9.9 ${process.platform}-${process.arch} node-${process.version}\n`)
  })

  it('declines, writing nothing, when the manifest changed since the pages were rendered', async () => {
    await writePages('{"commands":{}}')
    const written = captureStdout()
    expect(writePrerenderedHelp(['ner', '--help'], rootUrl)).toBe(false)
    expect(written).toEqual([])
  })

  it('declines for a page it does not have, and for a fixed oclif width', async () => {
    await writePages(manifest)
    const written = captureStdout()
    expect(writePrerenderedHelp(['soap', '--help'], rootUrl)).toBe(false)
    vi.stubEnv('OCLIF_COLUMNS', '100')
    expect(writePrerenderedHelp(['ner', '--help'], rootUrl)).toBe(false)
    vi.unstubAllEnvs()
    expect(written).toEqual([])
  })
})
