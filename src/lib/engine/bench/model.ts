import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

import type {Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token} from 'node-llama-cpp'

import {EngineError, InterruptedError, UsageError} from '../../errors/index.js'
import type {BenchModel, BenchModelInfo, BenchModelOptions, ChoiceScore, ChoiceScores, NextTokenLogitsOptions, SpeedMeasurement, SpeedOptions} from './types.js'
import {loadLlamaModel, translateLlamaError} from '../llama/loader.js'
import {createContextWithLora} from '../llama/lora.js'
import {evaluateNextTokenLogits} from './logits.js'
import {DEFAULT_MAX_CONTEXT} from '../defaults.js'

// llama-bench runs pp512 as one n_ubatch of 512 (n_batch 2048); node-llama-cpp sets n_ubatch = n_batch, so 512 matches.
const SPEED_BATCH_SIZE = 512

let gc: (() => void) | undefined
/**
 * A full garbage collection, run before every timed test. Otherwise V8 collects the garbage of earlier contexts in
 * the middle of one, and its helper threads take cores from the 2 compute threads: on 2 cores (0.25B Q4_0, prebuilt,
 * after the thread probes) 4 of 24 tg128 runs fell to 85–192 t/s from 226–297, and none did with a collection first.
 * `--expose-gc` set at run time takes effect in a new context (Jest's leak detector does the same).
 */
function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc') as () => void
  }

  gc()
}

/** Loads a GGUF model for speed tests and log-likelihood scoring (see {@link BenchModel}). */
export async function openBenchModel(options: BenchModelOptions): Promise<BenchModel> {
  if (!Number.isInteger(options.threads) || options.threads < 1) throw new UsageError(`threads must be a positive integer, got ${options.threads}`)
  const {nlc, llama, model, modelPath, loadMs, binary, releaseLlama} = await loadLlamaModel({...options, threads: options.threads})
  try {
    const info = {...(await describe(nlc, llama, model, modelPath, options.threads, loadMs)), binary}
    return new LlamaBenchModel(info, llama, model, options, releaseLlama)
  } catch (error) {
    await model.dispose()
    await releaseLlama()
    throw error
  }
}

async function describe(
  nlc: typeof import('node-llama-cpp'),
  llama: Llama,
  model: LlamaModel,
  modelPath: string,
  threads: number,
  loadMs: number,
): Promise<BenchModelInfo> {
  const metadata = model.fileInfo.metadata as unknown as {
    general?: {architecture?: string; file_type?: number}
    tokenizer?: {ggml?: {tokens?: unknown[]}}
  } & Record<string, {vocab_size?: number} | undefined>
  const architecture = metadata.general?.architecture ?? 'unknown'
  const fileTypeNumber = metadata.general?.file_type
  const fileTypeName = fileTypeNumber === undefined ? undefined : (nlc.GgufFileType as unknown as Record<number, string>)[fileTypeNumber]
  const vocabSize = metadata.tokenizer?.ggml?.tokens?.length ?? metadata[architecture]?.vocab_size ?? 0
  let parameterCount: number | undefined
  try {
    parameterCount = model.fileInsights.totalParameters || undefined
  } catch {
    // Insights are optional facts for the record; a model they cannot describe still benchmarks.
  }

  return {
    modelPath,
    fileType: fileTypeName ? fileTypeName.replace(/^(MOSTLY|ALL)_/, '') : 'unknown',
    parameterCount,
    architecture,
    trainContextSize: model.trainContextSize,
    vocabSize,
    addBos: model.tokens.shouldPrependBosToken,
    threads,
    gpu: llama.gpu,
    gpuDevices: await llama.getGpuDeviceNames().catch(() => []),
    llamaCpp: {release: llama.llamaCppRelease.release, repo: llama.llamaCppRelease.repo, buildType: llama.buildType},
    nodeLlamaCppVersion: await nlc.getModuleVersion(),
    systemInfo: llama.systemInfo.trim(),
    loadMs,
  }
}

class LlamaBenchModel implements BenchModel {
  private scoring?: Promise<{context: LlamaContext; sequence: LlamaContextSequence}>
  private disposed = false

  constructor(
    readonly info: BenchModelInfo,
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly options: BenchModelOptions,
    private readonly releaseLlama: () => Promise<void>,
  ) {}

  async measureSpeed(options: SpeedOptions = {}): Promise<SpeedMeasurement> {
    const {promptTokens = 512, generateTokens = 128, repetitions = 5, warmup = true, seed = 1, signal, onStep = () => {}} = options
    const threads = options.threads ?? this.options.threads
    const generateThreads = options.generateThreads ?? threads
    const depth = options.depth ?? 0
    for (const [name, value] of Object.entries({promptTokens, generateTokens, repetitions, threads, generateThreads})) {
      if (!Number.isInteger(value) || value < 1) throw new UsageError(`${name} must be a positive integer, got ${value}`)
    }

    if (!Number.isInteger(depth) || depth < 0) throw new UsageError(`depth must be a whole number of tokens, got ${depth}`)

    let peakRssBytes = process.memoryUsage.rss()
    const sampleRss = (): void => {
      peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss())
    }

    const checkAbort = (): void => {
      if (signal?.aborted) throw new InterruptedError()
    }

    const random = seededRandom(seed)
    const vocabSize = this.info.vocabSize || 256
    const randomToken = (): Token => Math.floor(random() * vocabSize) as Token
    const bos = this.model.tokens.bos
    const firstToken = (): Token => (this.info.addBos && bos !== null ? bos : randomToken())
    // llama-bench: token 0 is BOS when the model adds one, the rest uniform random ids.
    const promptOf = (length: number): Token[] => [firstToken(), ...Array.from({length: length - 1}, randomToken)]

    if (Math.max(threads, generateThreads) > this.options.threads) throw new UsageError(`threads ${Math.max(threads, generateThreads)} is more than the ${this.options.threads} the model was loaded with`)
    // Different counts for pp and tg: the context may use the larger, and llama.maxThreads (read per decode) sets each.
    const split = generateThreads !== threads
    // llama-bench sizes n_ctx = n_prompt + n_gen + n_depth.
    const context = await this.createContext(depth + promptTokens + generateTokens, SPEED_BATCH_SIZE, split ? {ideal: Math.max(threads, generateThreads), min: 1} : threads)
    const useThreads = (count: number): void => {
      if (split) this.llama.maxThreads = count
    }
    const sequence = context.getSequence()
    // Tokens every test starts from: 0 until the depth is filled, then `depth` (the rest is erased before each test,
    // which leaves the KV cache as llama-bench's restored depth state does).
    let kept = 0
    const rewind = async (): Promise<void> => {
      if (kept === 0) await sequence.clearHistory()
      else if (sequence.nextTokenIndex > kept) await sequence.eraseContextTokenRanges([{start: kept, end: sequence.nextTokenIndex}])
    }

    sampleRss()
    try {
      const runPrompt = async (tokens: Token[]): Promise<number> => {
        useThreads(threads)
        await rewind()
        collectGarbage()
        const t0 = performance.now()
        await sequence.evaluateWithoutGeneratingNewTokens(tokens)
        return performance.now() - t0
      }

      const runGeneration = async (count: number): Promise<number> => {
        useThreads(generateThreads)
        await rewind()
        collectGarbage()
        let token = firstToken()
        const t0 = performance.now()
        // One decode per token and no sampler, like llama-bench's test_gen: EOS cannot end it early.
        for (let i = 0; i < count; i++) {
          await sequence.evaluateWithoutGeneratingNewTokens([token])
          token = randomToken()
        }

        return performance.now() - t0
      }

      const runFirstToken = async (tokens: Token[]): Promise<number> => {
        useThreads(threads)
        await rewind()
        collectGarbage()
        const t0 = performance.now()
        const generator = sequence.evaluate(tokens, {temperature: 0, yieldEogToken: true})
        await generator.next()
        const elapsed = performance.now() - t0
        await generator.return()
        return elapsed
      }

      if (warmup) {
        onStep('warm-up')
        await runPrompt(promptOf(promptTokens))
        await runGeneration(1)
        sampleRss()
      }

      if (depth > 0) {
        onStep(`depth ${depth}`)
        useThreads(threads)
        await sequence.clearHistory()
        await sequence.evaluateWithoutGeneratingNewTokens(promptOf(depth))
        kept = depth
        sampleRss()
      }

      const pp: number[] = []
      const tg: number[] = []
      const ttft: number[] = []
      for (let rep = 1; rep <= repetitions; rep++) {
        checkAbort()
        onStep(`pp${promptTokens} ${rep}/${repetitions}`)
        pp.push((promptTokens * 1000) / (await runPrompt(promptOf(promptTokens))))
        sampleRss()
        checkAbort()
        onStep(`tg${generateTokens} ${rep}/${repetitions}`)
        tg.push((generateTokens * 1000) / (await runGeneration(generateTokens)))
        sampleRss()
        checkAbort()
        onStep(`ttft ${rep}/${repetitions}`)
        ttft.push(await runFirstToken(promptOf(promptTokens)))
        sampleRss()
      }

      return {
        promptTokens,
        generateTokens,
        promptTokensPerSecond: pp,
        generateTokensPerSecond: tg,
        timeToFirstTokenMs: ttft,
        peakRssBytes,
        contextSize: context.contextSize,
        batchSize: context.batchSize,
        flashAttention: context.flashAttention,
      }
    } catch (error) {
      throw translateLlamaError(error, 'E_GENERATE', 'Speed test failed', 'a smaller model or quantization, or --gpu off')
    } finally {
      useThreads(this.options.threads)
      await context.dispose()
    }
  }

  async scoreChoices(contextText: string, continuations: readonly string[], signal?: AbortSignal): Promise<ChoiceScores> {
    if (continuations.length === 0) return {scores: [], contextTokens: 0, truncated: false}
    const {sequence} = await this.scoringSequence()
    const limit = sequence.contextSize
    const bos = this.info.addBos && this.model.tokens.bos !== null ? [this.model.tokens.bos] : []
    // lm-eval's _encode_pair: trailing whitespace of the context belongs to the continuation.
    const trimmed = contextText.replace(/\s+$/, '')
    const moved = contextText.slice(trimmed.length)
    const contextTokens = [...bos, ...this.tokenize(trimmed)]
    const continuationTokens = continuations.map((continuation) => this.tokenize(trimmed + moved + continuation).slice(contextTokens.length - bos.length))
    const longest = Math.max(...continuationTokens.map((tokens) => tokens.length))
    if (longest === 0) throw new EngineError('a continuation tokenizes to nothing', {hint: 'Check the dataset choices.'}, 'E_SCORE')
    if (longest >= limit) throw new EngineError('a continuation is longer than the context', {hint: 'Raise --context-size.'}, 'E_TOO_LONG')

    // Left-truncate the context like lm-eval (it keeps the last max_length tokens), keeping BOS.
    let prefix = contextTokens
    let truncated = false
    if (prefix.length + longest > limit) {
      prefix = [...bos, ...contextTokens.slice(contextTokens.length - (limit - longest - bos.length))]
      truncated = true
    }

    try {
      // Evaluate all but the last context token once; each choice re-evaluates that token and asks for the next-token logits.
      const shared = prefix.slice(0, -1)
      const last = prefix[prefix.length - 1]
      const {firstDifferentIndex} = sequence.compareContextTokens(shared)
      if (firstDifferentIndex < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{start: firstDifferentIndex, end: sequence.nextTokenIndex}])
      if (firstDifferentIndex < shared.length) await sequence.evaluateWithoutGeneratingNewTokens(shared.slice(firstDifferentIndex))
      const scores: ChoiceScore[] = []
      for (const tokens of continuationTokens) {
        if (signal?.aborted) throw new InterruptedError()
        const inputs = [last, ...tokens.slice(0, -1)]
        const results = await sequence.controlledEvaluate(
          inputs.map((token, index) => [token, {generateNext: {logits: {filter: {tokens: [tokens[index]], includeTop: 1}}, totalLogitWeight: true}}]),
        )
        let logprob = 0
        let greedy = true
        for (const [index, target] of tokens.entries()) {
          const next = results[index]?.next
          const logits = next?.logits
          const top = logits?.entries().next().value
          const targetLogit = logits?.get(target)
          if (!next?.totalLogitWeight || !top || targetLogit === undefined) throw new Error('llama.cpp returned no logits for a continuation token')
          logprob += targetLogit - top[1] - Math.log(next.totalLogitWeight)
          if (top[0] !== target && targetLogit < top[1]) greedy = false
        }

        scores.push({logprob, greedy, tokens: tokens.length})
        await sequence.eraseContextTokenRanges([{start: shared.length, end: sequence.nextTokenIndex}])
      }

      return {scores, contextTokens: prefix.length, truncated}
    } catch (error) {
      if (signal?.aborted) throw new InterruptedError()
      throw translateLlamaError(error, 'E_SCORE', 'Log-likelihood scoring failed', 'a smaller model or quantization, or --gpu off')
    }
  }

  tokenize(text: string): Token[] {
    return text ? this.model.tokenize(text) : []
  }

  async nextTokenLogits(tokens: readonly number[], options: NextTokenLogitsOptions): Promise<number> {
    const {sequence} = await this.scoringSequence()
    const bos = this.info.addBos && this.model.tokens.bos !== null ? [this.model.tokens.bos] : []
    return evaluateNextTokenLogits(sequence, {tokens, bos, vocabSize: this.info.vocabSize, ...options})
  }

  async dispose(): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    const scoring = await this.scoring?.catch(() => undefined)
    await scoring?.context.dispose()
    await this.model.dispose()
    await this.releaseLlama()
  }

  private scoringSequence(): Promise<{context: LlamaContext; sequence: LlamaContextSequence}> {
    this.scoring ??= (async () => {
      const contextSize = this.options.contextSize ?? Math.min(this.model.trainContextSize, DEFAULT_MAX_CONTEXT)
      const context = await this.createContext(contextSize)
      return {context, sequence: context.getSequence()}
    })()
    return this.scoring
  }

  private async createContext(contextSize: number, batchSize?: number, threads: number | {ideal: number; min: number} = this.options.threads): Promise<LlamaContext> {
    try {
      return await createContextWithLora(this.model, this.options.lora, {
        contextSize,
        batchSize,
        sequences: 1,
        // `min` makes the count binding: node-llama-cpp may otherwise lower it while other evaluations run.
        threads: typeof threads === 'number' ? {ideal: threads, min: threads} : threads,
        flashAttention: 'auto',
        createSignal: this.options.signal,
      })
    } catch (error) {
      throw translateLlamaError(error, 'E_CONTEXT', `Could not create a ${contextSize}-token context`, 'a smaller model or quantization, or --gpu off')
    }
  }
}

/** mulberry32: a small seeded PRNG, so that the token ids of a run are reproducible. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}
