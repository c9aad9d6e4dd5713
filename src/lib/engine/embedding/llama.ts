import type {LlamaEmbeddingContext} from 'node-llama-cpp'

import {UsageError} from '../../errors/index.js'
import {loadLlamaModel, translateLlamaError} from '../llama/loader.js'
import {startCpuFacts, threadCeiling} from '../llama/decoding/thread-governor.js'
import {normalize} from './echo.js'
import type {Embedder, EmbedderOptions} from './types.js'

/** Embedding texts are chunks and questions: a context past this only costs memory. */
const DEFAULT_MAX_EMBEDDING_CONTEXT = 2048

/**
 * Loads a GGUF model in llama.cpp as an embedder (node-llama-cpp's embedding context: the model's pooling, or its
 * last token when it declares none). Any llama.cpp model gives vectors; only an embedding model gives useful ones.
 */
export async function createLlamaEmbedder(options: EmbedderOptions): Promise<Embedder> {
  if (!options.modelPath) {
    throw new UsageError('No embedding model given', {hint: 'Pass --embed-model PATH to a .gguf embedding model (`jsl-med synth PATH --embedding` makes a synthetic one).'}, 'E_NO_MODEL')
  }

  const cpu = await startCpuFacts()
  const threads = threadCeiling(cpu, options.threads)
  const {model, modelPath, releaseLlama} = await loadLlamaModel({...options, modelPath: options.modelPath, threads})
  let context: LlamaEmbeddingContext
  const contextSize = Math.min(options.contextSize ?? DEFAULT_MAX_EMBEDDING_CONTEXT, model.trainContextSize)
  try {
    context = await model.createEmbeddingContext({contextSize, threads, createSignal: options.signal})
  } catch (error) {
    await model.dispose()
    await releaseLlama()
    throw translateLlamaError(error, 'E_CONTEXT', 'Could not create an embedding context', '--gpu off', options.signal)
  }

  let disposed = false
  return {
    info: {kind: 'llama', modelPath, dimensions: model.embeddingVectorSize, contextSize},
    countTokens: (text) => model.tokenize(text).length,
    async embed(text) {
      const tokens = model.tokenize(text)
      try {
        const embedding = await context.getEmbeddingFor(tokens.length > contextSize ? tokens.slice(0, contextSize) : tokens)
        return normalize(Float32Array.from(embedding.vector))
      } catch (error) {
        throw translateLlamaError(error, 'E_EMBED', 'Embedding failed', '--gpu off')
      }
    },
    async dispose() {
      if (disposed) return
      disposed = true
      await context.dispose()
      await model.dispose()
      await releaseLlama()
    },
  }
}
