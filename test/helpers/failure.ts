import {expect} from 'vitest'

import {AppError} from '../../src/lib/errors/index.js'

/** The AppError a promise rejects with (the test fails when it resolves, or rejects with anything else). */
export async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (error: unknown) => error,
  )
  expect(error).toBeInstanceOf(AppError)
  return error as AppError
}
