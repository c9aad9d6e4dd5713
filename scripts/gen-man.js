#!/usr/bin/env node
// Writes man/jsl-med.1 and man/jsl-med-<command>.1 from the commands' own metadata (summary,
// description, arguments, flags, examples) plus the exit-code and environment tables of src/lib.
// Usage: node scripts/gen-man.js [OUTDIR]   (default: man/; run after `tsc`, it reads dist/)
import {mkdir, readdir, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {Config} from '@oclif/core'

const root = fileURLToPath(new URL('..', import.meta.url))
const outDir = process.argv[2] ?? join(root, 'man')
const config = await Config.load({root})
const {EXIT_CODES} = await import(join(root, 'dist/lib/errors/index.js'))

const EXIT_MEANINGS = {
  ok: 'success',
  internal: 'internal error (a bug in jsl-med)',
  usage: 'usage error: a bad flag or argument',
  config: 'configuration error',
  modelNotFound: 'model not found',
  download: 'download or integrity failure',
  resources: 'not enough memory for the model or context',
  engine: 'the model cannot be loaded or generation failed',
  input: 'bad input',
  partialFailure: 'some records failed; they are error records in the output',
  interrupted: 'interrupted (Ctrl-C)',
}

const GENERAL_ENV = [
  ['DEBUG', 'Print stack traces with errors.'],
  ['NO_COLOR', 'Turn colour off on stderr.'],
]

/** Escapes text for roff: backslashes, leading dots and quotes, and hyphens that must stay hyphens. */
function esc(text) {
  return String(text)
    .replaceAll('\\', '\\e')
    .replaceAll('-', '\\-')
    .replaceAll(/[^\x00-\x7f]/gu, (char) => `\\[u${char.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}]`)
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n')
}

function template(text, command) {
  return String(text).replaceAll('<%= config.bin %>', config.bin).replaceAll('<%= command.id %>', command.id)
}

function paragraphs(text) {
  return esc(text)
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean)
    .join('\n.PP\n')
}

function flagLine(name, flag) {
  const names = [flag.char ? `\\fB\\-${flag.char}\\fR` : undefined, `\\fB\\-\\-${esc(name)}\\fR`].filter(Boolean).join(', ')
  const value = flag.type === 'option' ? ` \\fI${esc(flag.helpValue ?? (flag.options ? flag.options.join('|') : 'VALUE'))}\\fR` : ''
  const details = [flag.description ?? flag.summary ?? '']
  if (flag.default !== undefined && flag.default !== false) details.push(`Default: ${flag.default}.`)
  if (flag.env) details.push(`Environment: ${flag.env}.`)
  return `.TP\n${names}${value}\n${esc(details.join(' ').trim())}`
}

function commandPage(command, date) {
  const name = `${config.bin}-${command.id.replaceAll(' ', '-')}`
  const args = Object.entries(command.args ?? {})
  const flags = Object.entries(command.flags ?? {}).filter(([, flag]) => !flag.hidden)
  const usage = [config.bin, command.id, ...args.map(([arg, def]) => (def.required ? arg.toUpperCase() : `[${arg.toUpperCase()}]`)), flags.length > 0 ? '[OPTIONS]' : '']
  const lines = [
    `.TH "${name.toUpperCase()}" 1 "${date}" "${config.bin} ${config.version}" "jsl-med manual"`,
    '.SH NAME',
    `${esc(name)} \\- ${esc(command.summary ?? '')}`,
    '.SH SYNOPSIS',
    `.B ${esc(usage.filter(Boolean).join(' '))}`,
    '.SH DESCRIPTION',
    paragraphs(template(command.description ?? command.summary ?? '', command)),
  ]
  if (args.length > 0) {
    lines.push('.SH ARGUMENTS')
    for (const [arg, def] of args) lines.push(`.TP\n\\fI${esc(arg.toUpperCase())}\\fR\n${esc(def.description ?? '')}`)
  }

  if (flags.length > 0) {
    lines.push('.SH OPTIONS')
    const groups = new Map()
    for (const [flagName, flag] of flags) {
      const group = flag.helpGroup ?? 'GENERAL'
      groups.set(group, [...(groups.get(group) ?? []), flagLine(flagName, flag)])
    }

    for (const [group, entries] of groups) lines.push(`.SS ${esc(group)}`, ...entries)
  }

  const examples = (command.examples ?? []).map((example) => (typeof example === 'string' ? {command: example} : example))
  if (examples.length > 0) {
    lines.push('.SH EXAMPLES')
    for (const example of examples) {
      if (example.description) lines.push('.PP', esc(template(example.description, command)))
      lines.push('.PP', '.RS 4', '.nf', esc(template(example.command, command).replace(/^\$\s*/, '')), '.fi', '.RE')
    }
  }

  lines.push(...exitAndEnvironment(flags), '.SH SEE ALSO', `\\fB${config.bin}\\fR(1)`)
  return {file: `${name}.1`, text: lines.join('\n') + '\n'}
}

function exitAndEnvironment(flags) {
  const lines = ['.SH EXIT STATUS']
  for (const [key, code] of Object.entries(EXIT_CODES)) lines.push(`.TP\n${code}\n${esc(EXIT_MEANINGS[key] ?? key)}`)
  const env = [...flags.filter(([, f]) => f.env).map(([name, f]) => [f.env, `Default for \\-\\-${name}.`]), ...GENERAL_ENV]
  lines.push('.SH ENVIRONMENT')
  for (const [variable, meaning] of env) lines.push(`.TP\n.B ${variable}\n${meaning.includes('\\-') ? meaning : esc(meaning)}`)
  return lines
}

function mainPage(commands, date) {
  const lines = [
    `.TH "${config.bin.toUpperCase()}" 1 "${date}" "${config.bin} ${config.version}" "jsl-med manual"`,
    '.SH NAME',
    `${config.bin} \\- ${esc(config.pjson.description ?? '')}`,
    '.SH SYNOPSIS',
    `.B ${config.bin} COMMAND [OPTIONS]`,
    '.SH DESCRIPTION',
    paragraphs(
      'jsl-med runs small medical language models (GGUF) on this machine, offline, as Unix filters: text or NDJSON records in on stdin, one record out on stdout for every record in, in order. Diagnostics, progress and llama.cpp logs go to stderr.\n\nA record that fails becomes an in-band error record {"id":…,"error":{"code","message","hint"}}, the run goes on, and the exit status is then 9. Error messages never quote a record\'s text.',
    ),
    '.SH COMMANDS',
  ]
  for (const command of commands) lines.push(`.TP\n\\fB${esc(command.id)}\\fR\n${esc(command.summary ?? '')}`)
  const allFlags = new Map(commands.flatMap((c) => Object.entries(c.flags ?? {})).filter(([, f]) => !f.hidden))
  lines.push(...exitAndEnvironment([...allFlags]), '.SH SEE ALSO', commands.map((c) => `\\fB${config.bin}-${c.id.replaceAll(' ', '-')}\\fR(1)`).join(',\n'))
  return {file: `${config.bin}.1`, text: lines.join('\n') + '\n'}
}

const date = new Date(Number(process.env.SOURCE_DATE_EPOCH ?? 0) * 1000 || Date.UTC(2026, 0, 1)).toISOString().slice(0, 10)
// Aliases (e.g. `models list`) share their command's page; ids use ':' inside oclif and ' ' on the command line.
const commands = config.commands
  .filter((c) => c.pluginName === config.name && !c.hidden && !c.aliases.includes(c.id))
  .map((c) => ({...c, id: c.id.replaceAll(':', ' ')}))
  .sort((a, b) => a.id.localeCompare(b.id))
const pages = [mainPage(commands, date), ...commands.map((c) => commandPage(c, date))]

await mkdir(outDir, {recursive: true})
for (const file of await readdir(outDir)) if (file.endsWith('.1')) await rm(join(outDir, file))
for (const page of pages) await writeFile(join(outDir, page.file), page.text)
process.stderr.write(`Wrote ${pages.length} man pages to ${outDir}\n`)
