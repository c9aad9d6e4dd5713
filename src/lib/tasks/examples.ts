import {readFile} from 'node:fs/promises'

import {validateJsonValue, type ChatExample, type JsonSchema} from '../engine/index.js'
import {UsageError} from '../errors/index.js'
import type {Task} from './types.js'

const HINT =
  'Give one JSON object a line: {"input": "<text>", "output": {<the fields the command adds, e.g. "entities": […]>}}. ' +
  'See "Few-shot examples" in the README.'

/**
 * Reads `--examples FILE`: NDJSON of `{"input": text, "output": {…}}` pairs, `output` in the command's own output
 * shape (the fields it adds to a record), and turns each into a few-shot turn with `task.exampleReply`. Every line is
 * checked before any model loads; a bad one is a UsageError naming its line (and JSON paths, never the text).
 * Blank lines are skipped; a file without examples is refused too.
 */
export async function readExamples(path: string, task: Task): Promise<ChatExample[]> {
  if (!task.exampleReply) throw new UsageError(`${task.name} does not take --examples`, {hint: 'Leave out --examples.'}, 'E_EXAMPLES')
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new UsageError(`Cannot read the examples file ${path}: ${(error as NodeJS.ErrnoException).code}`, {cause: error, hint: 'Check the path given to --examples.'}, 'E_EXAMPLES')
  }

  const examples: ChatExample[] = []
  for (const [index, raw] of text.split('\n').entries()) {
    if (raw.trim() === '') continue
    const fail = (problem: string, cause?: unknown): never => {
      throw new UsageError(`--examples ${path} line ${index + 1}: ${problem}`, {cause, hint: HINT}, 'E_EXAMPLES')
    }

    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch (error) {
      fail('not valid JSON', error)
    }

    const pair = value as {input?: unknown; output?: unknown}
    if (typeof pair !== 'object' || pair === null || Array.isArray(pair)) fail('not a JSON object')
    if (typeof pair.input !== 'string' || pair.input.trim() === '') fail('"input" must be a non-empty string')
    if (typeof pair.output !== 'object' || pair.output === null || Array.isArray(pair.output)) fail('"output" must be an object')
    try {
      examples.push({user: pair.input as string, reply: task.exampleReply(pair.input as string, pair.output as Record<string, unknown>)})
    } catch (error) {
      fail(`"output" ${(error as Error).message}`, error)
    }
  }

  if (examples.length === 0) throw new UsageError(`--examples ${path} holds no examples`, {hint: HINT}, 'E_EXAMPLES')
  return examples
}

/**
 * Checks an example's output against a schema of the task's output shape, for `exampleReply`: throws an Error
 * listing the violations (JSON paths and expectations, never values).
 */
export function checkExampleOutput(output: unknown, schema: JsonSchema): void {
  const problems = validateJsonValue(output, schema)
  if (problems.length > 0) throw new Error(`is not in the command's output shape: ${problems.slice(0, 3).join('; ')}`)
}
