import {Errors, toConfiguredId, type Hook} from '@oclif/core'

import {UsageError} from '../../errors/index.js'
import {didYouMean, suggestNames} from '../../suggest/index.js'
import {renderError} from '../base-command.js'

/**
 * oclif's `command_not_found` hook. It names the closest commands by edit distance (`sumarize` → `summarize`,
 * `models rmm` → `models rm`) in one error and exits 2, never prompting: a filter in a pipe must not wait for a
 * keypress. Only on a terminal (stdin, stdout and stderr all TTYs, not CI, not --json) with one close command does
 * it hand over to @oclif/plugin-not-found, whose "Did you mean …? (Y/n)" runs the command on yes. That plugin is
 * not in the oclif plugins list on purpose: oclif runs every plugin's hook for an event at once, and the plugin
 * prompts (on stdout) whenever stdin alone is a TTY.
 */
const hook: Hook.CommandNotFound = async function (options) {
  const {config, id} = options
  const argv = options.argv ?? []
  const commands = config.commands.filter((command) => !command.hidden)
  const ids = [...new Set(commands.flatMap((command) => [command.id, ...command.aliases]))]
  const parts = id.split(':')
  const meant = parts.every((part) => /^[\w.-]{1,40}$/.test(part)) ? suggestNames(id, ids).map((name) => toConfiguredId(name, config)) : []
  // `summarize note.txt`: oclif joins a command and the words after it into one id that names nothing.
  const parent = meant.length > 0 ? undefined : ids.filter((known) => id.startsWith(`${known}:`)).sort((a, b) => b.length - a.length)[0]
  // The words are echoed only when they look like a mistyped command: they may be a note pasted in the wrong place.
  const echo = meant.length > 0 || /^[a-z][\w-]{0,24}$/.test(id)
  const json = argv.includes('--json')
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY && process.stderr.isTTY) && !process.env.CI && !json
  if (interactive && meant.length === 1) {
    const {default: pluginHook} = (await import('@oclif/plugin-not-found')) as {default: Hook.CommandNotFound}
    try {
      return await pluginHook.call(this, options)
    } catch (error) {
      // Declined, or no answer within its 10 s: fall through to the same error as a script gets.
      if (!(error instanceof Errors.CLIError) || error.oclif?.exit !== 127) throw error
    }
  }

  const error = parent
    ? new UsageError(`${config.bin} ${toConfiguredId(parent, config)} does not take that argument`, {hint: `See: ${config.bin} ${toConfiguredId(parent, config)} --help`}, 'E_UNKNOWN_COMMAND')
    : new UsageError(`${echo ? toConfiguredId(id, config) : 'The first argument'} is not a ${config.bin} command`, {hint: [didYouMean(meant), `See the commands: ${config.bin} --help`].filter(Boolean).join(' ')}, 'E_UNKNOWN_COMMAND')
  if (json) process.stdout.write(JSON.stringify({error: error.toJSON()}, null, 2) + '\n')
  else process.stderr.write(renderError(error))
  throw Object.assign(new Errors.ExitError(error.exitCode), {skipOclifErrorHandling: true})
}

export default hook
