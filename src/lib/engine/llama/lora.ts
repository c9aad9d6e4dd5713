import {resolve} from 'node:path'

import type {LlamaContext, LlamaContextOptions, LlamaModel} from 'node-llama-cpp'

import {EngineError} from '../../errors/index.js'
import {validateGgufFile} from '../../gguf/index.js'
import type {LoraAdapter} from '../types.js'

/**
 * Creates the context with the adapters applied. llama.cpp refuses an adapter made for another architecture or shape
 * (it logs why and returns no adapter), which node-llama-cpp reports as a plain Error: that becomes E_LORA.
 */
export async function createContextWithLora(model: LlamaModel, lora: readonly LoraAdapter[] | undefined, options: LlamaContextOptions): Promise<LlamaContext> {
  if (!lora?.length) return model.createContext(options)
  for (const adapter of lora) await validateGgufFile(adapter.path)
  try {
    return await model.createContext({...options, lora: {adapters: lora.map(({path, scale}) => ({filePath: resolve(path), scale: scale ?? 1}))}})
  } catch (error) {
    if (options.createSignal?.aborted || !/lora|adapter/i.test(String((error as Error)?.message ?? error))) throw error
    throw new EngineError(`Could not apply the LoRA adapter${lora.length > 1 ? 's' : ''} ${lora.map(({path}) => path).join(', ')}`, {
      cause: error,
      hint: 'An adapter only fits the model it was trained for (same architecture and tensor shapes); run with --verbose for llama.cpp\'s reason.',
    }, 'E_LORA')
  }
}

