import {describe, expect, it} from 'vitest'

import {
  AppError,
  ConfigError,
  DownloadError,
  EngineError,
  EXIT_CODES,
  InputError,
  InterruptedError,
  ModelNotFoundError,
  PartialFailureError,
  ResourceError,
  toAppError,
  UsageError,
} from '../../../src/lib/errors/index.js'

describe('exit codes', () => {
  it('are frozen as documented in DESIGN.md', () => {
    expect(EXIT_CODES).toEqual({
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
    })
  })

  it.each([
    [new UsageError('x'), 2, 'E_USAGE'],
    [new ConfigError('x'), 3, 'E_CONFIG'],
    [new ModelNotFoundError('x'), 4, 'E_MODEL_NOT_FOUND'],
    [new DownloadError('x'), 5, 'E_DOWNLOAD'],
    [new ResourceError('x'), 6, 'E_RESOURCES'],
    [new EngineError('x'), 7, 'E_ENGINE'],
    [new InputError('x'), 8, 'E_INPUT'],
    [new PartialFailureError(1, 3), 9, 'E_PARTIAL'],
    [new InterruptedError(), 130, 'E_INTERRUPTED'],
  ])('%s exits %i with code %s, also through oclif', (error, exitCode, code) => {
    expect(error).toBeInstanceOf(AppError)
    expect(error.exitCode).toBe(exitCode)
    expect(error.oclif.exit).toBe(exitCode)
    expect(error.code).toBe(code)
    expect(error.name).toBe(error.constructor.name)
  })

  it('keeps a custom code, the hint and the cause', () => {
    const cause = new Error('low level')
    const error = new EngineError('failed', {hint: 'do this', cause}, 'E_MODEL_INVALID')
    expect(error.code).toBe('E_MODEL_INVALID')
    expect(error.cause).toBe(cause)
    expect(error.toJSON()).toEqual({code: 'E_MODEL_INVALID', message: 'failed', hint: 'do this', exitCode: 7})
  })
})

describe('toAppError', () => {
  it('passes AppErrors through', () => {
    const error = new InputError('bad')
    expect(toAppError(error)).toBe(error)
  })

  it('turns anything else into an internal error (exit 1) with a hint', () => {
    const error = toAppError(new TypeError('x is undefined'))
    expect(error.exitCode).toBe(1)
    expect(error.code).toBe('E_INTERNAL')
    expect(error.hint).toMatch(/bug/)
    expect(toAppError('plain string').message).toContain('plain string')
  })
})
