// Help pages rendered at build time (scripts/gen-help.js runs oclif's own help renderer for every command), so
// that `jsl-med --help` does not load @oclif/core at all: loading it and its config costs more than the 0.3 s a
// help page may take on a small machine. This file imports only node built-ins; bin/run.js imports it directly.
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {arch, platform} from 'node:os'

/** The file `scripts/gen-help.js` writes: every help page, plain and with ANSI styles, at 80 columns. */
export interface HelpPagesFile {
  /** sha256 of the oclif.manifest.json the pages were rendered from: a rebuilt manifest makes the pages stale. */
  manifestSha256: string
  /** Command id (`models:rm`; '' is the root) → its page without styles and with them. */
  pages: Record<string, {plain: string; styled: string}>
}

/** The width the pages are wrapped to: oclif's width whenever stdout is not a terminal. */
export const HELP_PAGE_COLUMNS = 80

/** Stands for oclif's user agent (`jsl-med/0.1.0 linux-x64 node-v20.20.2`), which is only known at run time. */
export const USER_AGENT_PLACEHOLDER = '\u0000USER_AGENT\u0000'

/**
 * The id of the help page `args` asks for, or undefined when they ask for anything else: `[]`, `--help` and
 * `help` give the root (''); `ner --help`, `help ner`, `models rm --help` and `help models rm` give a command id.
 */
export function helpPageId(args: readonly string[]): string | undefined {
  if (args.length === 0) return ''
  const words = (list: readonly string[]) => (list.every((word) => /^[a-z][\w-]*$/.test(word)) ? list.join(':') : undefined)
  if (args[0] === 'help') return words(args.slice(1))
  if (args.at(-1) === '--help') return words(args.slice(0, -1))
  return undefined
}

/** Where `scripts/gen-help.js` writes the pages, relative to the package root. */
export const HELP_PAGES_PATH = 'dist/help-pages.json'

/**
 * Writes the pre-rendered page `args` asks for to stdout and returns true, or returns false (nothing written) when
 * oclif must render it: other arguments, a page that is missing or stale, `OCLIF_COLUMNS`, or a terminal narrower
 * than 80 columns (wider terminals get the 80-column page, as man and git do). `rootUrl` is the package root.
 */
export function writePrerenderedHelp(args: readonly string[], rootUrl: URL): boolean {
  const id = helpPageId(args)
  if (id === undefined || process.env.OCLIF_COLUMNS) return false
  const width = process.stdout.isTTY ? process.stdout.columns : HELP_PAGE_COLUMNS
  if (width > 0 && width < HELP_PAGE_COLUMNS) return false
  let file: HelpPagesFile
  let manifest: Buffer
  let pjson: {name: string; version: string}
  try {
    file = JSON.parse(readFileSync(new URL(HELP_PAGES_PATH, rootUrl), 'utf8')) as HelpPagesFile
    manifest = readFileSync(new URL('oclif.manifest.json', rootUrl))
    pjson = JSON.parse(readFileSync(new URL('package.json', rootUrl), 'utf8')) as {name: string; version: string}
  } catch {
    return false
  }
  const page = file.pages[id]
  if (!page || createHash('sha256').update(manifest).digest('hex') !== file.manifestSha256) return false
  const userAgent = `${pjson.name}/${pjson.version} ${platform()}-${arch()} node-${process.version}`
  process.stdout.write((stylesWanted() ? page.styled : page.plain).replaceAll(USER_AGENT_PLACEHOLDER, userAgent))
  return true
}

/** What oclif's help would decide: it styles through ansis, so ask the same copy of ansis (NO_COLOR, TTY, CI…). */
function stylesWanted(): boolean {
  const requireFromCore = createRequire(createRequire(import.meta.url).resolve('@oclif/core'))
  return (requireFromCore('ansis') as {isSupported(): boolean}).isSupported()
}
