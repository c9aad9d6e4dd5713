/**
 * Process exit codes of jsl-med. Frozen: scripts depend on them, and a test pins every value.
 */
export const EXIT_CODES = {
  ok: 0,
  internal: 1,
  usage: 2,
  config: 3,
  modelNotFound: 4,
  download: 5,
  resources: 6,
  engine: 7,
  input: 8,
  partialFailure: 9,
  interrupted: 130,
} as const

/** One of the values of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES]

/** Options shared by every {@link AppError}. */
export interface AppErrorOptions {
  /** What the user can do next; printed as `Hint:`. */
  hint?: string
  /** The foreign error this one translates; kept for `DEBUG` output. */
  cause?: unknown
  /** Machine-readable extras (never patient text). */
  details?: Record<string, unknown>
}

/**
 * An expected failure with a stable code (`E_*`), an exit code and a hint.
 * It also carries `oclif.exit`, so oclif's own handlers exit with our code in every output mode.
 */
export class AppError extends Error {
  readonly code: string
  readonly exitCode: ExitCode
  readonly hint?: string
  readonly details?: Record<string, unknown>
  readonly oclif: {exit: number}

  constructor(code: string, message: string, exitCode: ExitCode, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = new.target.name
    this.code = code
    this.exitCode = exitCode
    this.hint = options.hint
    this.details = options.details
    this.oclif = {exit: exitCode}
  }

  /** The JSON form used in `--json` output and in-band error records. */
  toJSON(): {code: string; message: string; hint?: string; exitCode: number} {
    return {code: this.code, message: this.message, ...(this.hint ? {hint: this.hint} : {}), exitCode: this.exitCode}
  }
}

/** Wrong flags, arguments or combinations of them (exit 2). */
export class UsageError extends AppError {
  constructor(message: string, options?: AppErrorOptions, code = 'E_USAGE') {
    super(code, message, EXIT_CODES.usage, options)
  }
}

/** Bad configuration: unwritable directory, invalid environment variable (exit 3). */
export class ConfigError extends AppError {
  constructor(message: string, options?: AppErrorOptions, code = 'E_CONFIG') {
    super(code, message, EXIT_CODES.config, options)
  }
}

/** The model file or alias cannot be found (exit 4). */
export class ModelNotFoundError extends AppError {
  constructor(message: string, options?: AppErrorOptions, code = 'E_MODEL_NOT_FOUND') {
    super(code, message, EXIT_CODES.modelNotFound, options)
  }
}

/** Network failure or a checksum mismatch while downloading (exit 5). */
export class DownloadError extends AppError {
  constructor(message: string, options?: AppErrorOptions, code = 'E_DOWNLOAD') {
    super(code, message, EXIT_CODES.download, options)
  }
}

/** The model or context does not fit in this machine's memory (exit 6). */
export class ResourceError extends AppError {
  constructor(message: string, options?: AppErrorOptions, code = 'E_RESOURCES') {
    super(code, message, EXIT_CODES.resources, options)
  }
}

/** The inference engine failed to load a model or to generate (exit 7). */
export class EngineError extends AppError {
  constructor(message: string, options?: AppErrorOptions, code = 'E_ENGINE') {
    super(code, message, EXIT_CODES.engine, options)
  }
}

/** An input record is malformed, missing its field or too long (exit 8). */
export class InputError extends AppError {
  constructor(message: string, options?: AppErrorOptions, code = 'E_INPUT') {
    super(code, message, EXIT_CODES.input, options)
  }
}

/** Some records of a stream failed and were written as error records (exit 9). */
export class PartialFailureError extends AppError {
  constructor(failed: number, total: number) {
    super('E_PARTIAL', `${failed} of ${total} records failed (see the error records on stdout)`, EXIT_CODES.partialFailure, {
      hint: 'Filter them with: jq -c "select(.error)"; use --fail-fast to stop at the first failure.',
      details: {failed, total},
    })
  }
}

/** The user interrupted the run (Ctrl-C); only whole records were written (exit 130). */
export class InterruptedError extends AppError {
  constructor() {
    super('E_INTERRUPTED', 'Interrupted', EXIT_CODES.interrupted)
  }
}

/**
 * Turns anything thrown into an AppError: AppErrors pass through, everything else becomes an
 * internal error (exit 1), because an untranslated foreign error is a bug in jsl-med.
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new AppError('E_INTERNAL', `Internal error: ${message}`, EXIT_CODES.internal, {
    cause: error,
    hint: 'This is a bug in jsl-med. Run again with DEBUG=1 to see the stack, and report it.',
  })
}
