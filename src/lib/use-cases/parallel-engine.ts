import {adviseParallel, type ParallelAdvice} from '../advisor/index.js'
import type {ContextFitRequest, Engine, EngineLogger} from '../engine/index.js'
import {ResourceError} from '../errors/index.js'
import {formatBytes} from '../format/index.js'

/** The sequence counts `-j auto` loads, largest first: the first that fits in memory, else 1. */
export const AUTO_SEQUENCES = [4, 2] as const

/** Creates the engine with `sequences` sequences, passing `checkFit` on to the engine. */
export type CreateWithSequences = (sequences: number, checkFit: (request: ContextFitRequest) => void) => Promise<Engine>

/**
 * Creates the engine for `-j`. A number N loads N sequences and refuses, with exit 6, a context whose KV caches will
 * not fit. `auto` loads the largest of {@link AUTO_SEQUENCES} that fits (4 for the echo engine), else 1 (refused
 * like `-j 1` when even that will not fit): when the fit check, or llama.cpp allocating the context after it, finds
 * too little memory, the model is loaded again with fewer sequences. An engine that never calls the fit check
 * (the vision engine) gets 4 sequences unchecked. Returns the engine and its sequence count.
 */
export async function createEngineForParallel(parallel: 'auto' | number, kind: 'echo' | 'llama', create: CreateWithSequences, log: EngineLogger): Promise<{engine: Engine; sequences: number}> {
  if (parallel !== 'auto') return {engine: await create(parallel, refuseParallelBeyondMemory), sequences: parallel}
  if (kind === 'echo') return {engine: await create(AUTO_SEQUENCES[0], refuseParallelBeyondMemory), sequences: AUTO_SEQUENCES[0]}
  let sequences: number = AUTO_SEQUENCES[0]
  for (;;) {
    let checked = false
    const checkFit = (request: ContextFitRequest): void => {
      checked = true
      if (sequences > 1) offerFewerSequences(request)
      else refuseParallelBeyondMemory(request)
    }

    try {
      const engine = await create(sequences, checkFit)
      if (sequences === 1) log('debug', '-j auto: only 1 sequence fits in memory; running 1 record at a time')
      return {engine, sequences}
    } catch (error) {
      // Only a shortage found once the model is loaded is the sequences' fault; any other failure would recur.
      if (sequences === 1 || !checked || !(error instanceof ResourceError)) throw error
      const fit = (error.details as {maxSequences?: number} | undefined)?.maxSequences
      const next = AUTO_SEQUENCES.find((count) => count < sequences && (fit === undefined || count <= fit)) ?? 1
      log('debug', `-j auto: ${sequences} sequences do not fit in memory (${error.message}); loading the model again with ${next}`)
      sequences = next
    }
  }
}

/** Refuses a `-j` whose KV caches will not fit (exit 6), naming the largest `-j` that does. */
export function refuseParallelBeyondMemory(request: ContextFitRequest): void {
  const {advice, availableBytes} = adviseFor(request)
  if (advice.fits) return
  throw new ResourceError(
    `-j ${request.sequences} at ${request.contextSize} tokens per sequence needs about ${formatBytes(advice.neededBytes, 'binary')} for its KV caches; ${formatBytes(availableBytes, 'binary')} is free`,
    {
      hint: advice.maxSequences > 0 ? `Use -j ${advice.maxSequences} or fewer, or lower --context-size.` : 'Lower --context-size, or use a smaller model.',
      details: {sequences: request.sequences, maxSequences: advice.maxSequences, contextSize: request.contextSize},
    },
    'E_PARALLEL_TOO_LARGE',
  )
}

/** For `-j auto`: refuses the sequences that will not fit, before llama.cpp allocates them, naming how many do. */
function offerFewerSequences(request: ContextFitRequest): void {
  const {advice, availableBytes} = adviseFor(request)
  if (advice.fits) return
  throw new ResourceError(`${request.sequences} sequences need about ${formatBytes(advice.neededBytes, 'binary')}; ${formatBytes(availableBytes, 'binary')} is free`, {
    hint: 'Lower --context-size, or pass -j 1.',
    details: {sequences: request.sequences, maxSequences: advice.maxSequences},
  }, 'E_PARALLEL_TOO_LARGE')
}

function adviseFor(request: ContextFitRequest): {advice: ParallelAdvice; availableBytes: number} {
  const availableBytes = request.freeRamBytes + (request.gpuLayers > 0 ? request.freeVramBytes : 0)
  const advice = adviseParallel({architecture: request.shape, contextSize: request.contextSize, sequences: request.sequences, availableBytes})
  return {advice, availableBytes}
}
