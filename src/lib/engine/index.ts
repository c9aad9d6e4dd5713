import {createEchoEngine} from './echo-engine.js'
import type {Engine, EngineOptions} from './types.js'

export {ECHO_FAIL_MARKER} from './echo-engine.js'
export {validateGgufFile} from './validate-model.js'
export type * from './types.js'

/**
 * Creates an engine. `llama` (the default) loads node-llama-cpp lazily, so importing this module
 * stays cheap and `--help` never loads llama.cpp.
 */
export async function createEngine(options: EngineOptions): Promise<Engine> {
  if (options.kind === 'echo') return createEchoEngine()
  const {createLlamaEngine} = await import('./llama-engine.js')
  return createLlamaEngine(options)
}
