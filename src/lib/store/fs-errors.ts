import {AppError, ConfigError, ResourceError} from '../errors/index.js'

/**
 * Translates a file-system error of the store: a full disk becomes ResourceError (exit 6), a directory that
 * cannot be written ConfigError (exit 3). Anything else is unexpected and passes through.
 */
export function fsError(error: unknown, path: string): unknown {
  if (error instanceof AppError) return error
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new ResourceError(`The disk is full while writing ${path}`, {cause: error, hint: 'Free some space (or point JSL_MED_MODELS_DIR at a larger disk) and run the same command again: it resumes.'}, 'E_DISK_FULL')
  }

  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new ConfigError(`Cannot write ${path}: ${code}`, {cause: error, hint: 'Fix the permissions, or point JSL_MED_MODELS_DIR (or --models-dir) at a writable directory.'}, 'E_NOT_WRITABLE')
  }

  return error
}
