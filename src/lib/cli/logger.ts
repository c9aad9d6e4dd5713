import {chalkStderr} from 'chalk'

/** Severity of a diagnostic line. */
export type LogLevel = 'debug' | 'error' | 'info' | 'warn'

/** Writes diagnostics to stderr, never stdout. */
export interface Logger {
  error(message: string): void
  warn(message: string): void
  info(message: string): void
  debug(message: string): void
  /** Generic entry point, e.g. for the engine's log callback. */
  log(level: LogLevel, message: string): void
}

/** Options of {@link createStderrLogger}. */
export interface StderrLoggerOptions {
  /** Only errors are written. */
  quiet?: boolean
  /** Debug lines are written too. */
  verbose?: boolean
  /** Where lines go; default `process.stderr`. */
  stream?: NodeJS.WritableStream
}

/** Creates the one logger every command uses: errors always, warnings and info unless quiet, debug when verbose. */
export function createStderrLogger(options: StderrLoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr
  const enabled = (level: LogLevel): boolean => {
    if (level === 'error') return true
    if (options.quiet) return false
    return level !== 'debug' || Boolean(options.verbose)
  }

  const style: Record<LogLevel, (text: string) => string> = {
    error: (text) => chalkStderr.red(text),
    warn: (text) => chalkStderr.yellow(`warning: ${text}`),
    info: (text) => text,
    debug: (text) => chalkStderr.dim(text),
  }
  const log = (level: LogLevel, message: string): void => {
    if (enabled(level)) stream.write(style[level](message) + '\n')
  }

  return {
    log,
    error: (message) => log('error', message),
    warn: (message) => log('warn', message),
    info: (message) => log('info', message),
    debug: (message) => log('debug', message),
  }
}
