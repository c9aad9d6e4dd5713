import {once} from 'node:events'

import {Command, Errors, Flags, toConfiguredId} from '@oclif/core'
import {chalkStderr} from 'chalk'

import {AppError, toAppError, UsageError} from '../errors/index.js'
import {didYouMean, suggestNames} from '../suggest/index.js'
import {createStderrLogger, type Logger} from './logger.js'

/**
 * The base of every jsl-med command: `--quiet`/`--verbose`, a stderr logger, and the single place
 * where errors are rendered (human: `Error [E_CODE]: …` and `Hint: …` on stderr; `--json`: one JSON
 * error document on stdout) and mapped to the exit codes of lib/errors.
 */
export abstract class BaseCommand extends Command {
  static override baseFlags = {
    quiet: Flags.boolean({char: 'q', description: 'Print nothing on stderr but errors.', helpGroup: 'OUTPUT'}),
    verbose: Flags.boolean({char: 'v', description: 'Print debug details and llama.cpp logs on stderr.', helpGroup: 'OUTPUT'}),
  }

  protected logger: Logger = createStderrLogger()

  /** Replaces the default logger once flags are known. */
  protected useLogger(flags: {quiet?: boolean; verbose?: boolean}): Logger {
    this.logger = createStderrLogger({quiet: flags.quiet, verbose: flags.verbose})
    return this.logger
  }

  protected override async catch(error: Error & {oclif?: {exit?: number}; skipOclifErrorHandling?: boolean}): Promise<void> {
    if (error instanceof Errors.ExitError) throw error
    const appError = isOclifUsageError(error) ? this.usageError(error) : toAppError(error)
    if (this.jsonEnabled()) {
      process.stdout.write(JSON.stringify({error: appError.toJSON()}, null, 2) + '\n')
    } else {
      process.stderr.write(renderError(appError))
    }

    // Let whatever is still queued on stdout reach the pipe before oclif calls process.exit.
    if (process.stdout.writableLength > 0) await once(process.stdout, 'drain')
    throw Object.assign(new Errors.ExitError(appError.exitCode), {skipOclifErrorHandling: true})
  }

  /** oclif's parse error with one help line (ours, not its "See more help with --help") and, for a mistyped flag, the flag meant. */
  private usageError(error: Error & {flags?: unknown}): UsageError {
    const seeHelp = `See: ${[this.config.bin, this.id && toConfiguredId(this.id, this.config), '--help'].filter(Boolean).join(' ')}`
    const unknown = Array.isArray(error.flags) ? error.flags.filter((flag): flag is string => typeof flag === 'string') : []
    const known = Object.entries({...this.ctor.baseFlags, ...this.ctor.flags}).flatMap(([name, flag]) => [name, ...((flag as {aliases?: string[]}).aliases ?? [])])
    if (this.ctor.enableJsonFlag) known.push('json')
    const meant = unknown.flatMap((flag) => (flag.startsWith('--') ? suggestNames(flag.slice(2).split('=')[0], known).map((name) => `--${name}`) : []))
    const message = error.message.replace(/\s*See more help with --help\s*$/, '').replace(/^Parsing (--[\w-]+)\s*\n\t/, '$1: ')
    // `--gpu cdua`: oclif names the choices only in its message.
    const choice = /^Expected --[\w-]+=(.*) to be one of: (.*)$/.exec(message)
    if (choice) meant.push(...suggestNames(choice[1], choice[2].split(', ')))
    return new UsageError(message, {hint: [didYouMean([...new Set(meant)]), seeHelp].filter(Boolean).join(' '), cause: error})
  }
}

function isOclifUsageError(error: Error & {oclif?: {exit?: number}}): boolean {
  return !(error instanceof AppError) && error instanceof Errors.CLIError && error.oclif?.exit === 2
}

/** The human form of an error, for stderr. The stack is shown only with DEBUG set. */
export function renderError(error: AppError): string {
  const lines = [`${chalkStderr.red.bold('Error')} [${error.code}]: ${error.message}`]
  if (error.hint) lines.push(`${chalkStderr.bold('Hint')}: ${error.hint}`)
  if (process.env.DEBUG) {
    lines.push(error.stack ?? '')
    if (error.cause instanceof Error && error.cause.stack) lines.push(`Caused by: ${error.cause.stack}`)
  }

  return lines.join('\n') + '\n'
}
