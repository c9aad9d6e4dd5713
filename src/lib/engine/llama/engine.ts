import type {
  ChatHistoryItem,
  ChatWrapper,
  GbnfJsonSchema,
  Llama,
  LlamaChat,
  LlamaContextSequence,
  LlamaModel,
  Token,
} from 'node-llama-cpp'


import {EngineError, InputError, InterruptedError, UsageError} from '../../errors/index.js'
import {DEFAULT_MAX_CONTEXT, DEFAULT_TOKEN_TIMEOUT_MS} from '../defaults.js'
import type {ChatRequest, Engine, EngineInfo, EngineOptions, Generation, StopReason} from '../types.js'
import {chooseFlashAttention} from './attention.js'
import {resolveChatWrapperCached} from './chat-wrapper.js'
import {modelShapeOf} from './inspect-gguf.js'
import {loadLlamaModel, translateLlamaError} from './loader.js'
import {createContextWithLora} from './lora.js'
import {compileRequestGrammar, type GrammarFactory, type RequestGrammar} from './request-grammar.js'
import {alignGenerationSteps, type StepAlignment} from './decoding/step-alignment.js'
import {startCpuFacts, threadCeiling, ThreadGovernor} from './decoding/thread-governor.js'
import {TokenWatchdog} from './decoding/token-watchdog.js'

/** Below this, evaluating a shared prefix again costs less than coordinating a copy. */
const MIN_SHARED_PREFIX_TOKENS = 32

/** Loads a GGUF model in llama.cpp (through node-llama-cpp) and returns an {@link Engine} over it. */
export async function createLlamaEngine(options: EngineOptions): Promise<Engine> {
  if (!options.modelPath) {
    throw new UsageError('No model given', {hint: 'Pass --model PATH to a .gguf file (`jsl-med synth PATH` makes a synthetic one).'}, 'E_NO_MODEL')
  }

  // The load of other processes is measured over the time the model takes to load (our own CPU time left out).
  const cpu = await startCpuFacts()
  const ceiling = threadCeiling(cpu, options.threads)
  const sequences = options.sequences ?? 1
  const logger = options.logger ?? (() => {})
  const {nlc, llama, model, modelPath, binary, releaseLlama} = await loadLlamaModel({...options, modelPath: options.modelPath, threads: ceiling})

  try {
    const trainContextSize = model.trainContextSize
    const contextSize = options.contextSize ?? Math.min(trainContextSize, DEFAULT_MAX_CONTEXT)
    await checkFit(llama, model, contextSize, sequences, options)
    // The context may use up to the ceiling; llama.maxThreads then sets what each decode uses (node-llama-cpp reads it per batch).
    const flashAttention = chooseFlashAttention(llama.gpu)
    const context = await createContextWithLora(model, options.lora, {contextSize, sequences, threads: {ideal: ceiling, min: 1}, flashAttention, createSignal: options.signal})
    const alignment = alignGenerationSteps(context, sequences)
    const governor = await ThreadGovernor.start({facts: cpu, openmp: binary.openmp, forced: options.threads, log: logger, setThreads: (threads) => (llama.maxThreads = threads)})
    const chatWrapper = await resolveChatWrapperCached(nlc, model, modelPath)
    const slots = Array.from({length: sequences}, () => new nlc.LlamaChat({contextSequence: context.getSequence(), chatWrapper}))
    const info: EngineInfo = {
      kind: 'llama',
      modelPath,
      contextSize: context.contextSize,
      sequences,
      threads: governor.threads,
      binary,
      gpu: llama.gpu,
      flashAttention,
      chatWrapper: chatWrapper.wrapperName,
      trainContextSize,
      ...(options.lora?.length ? {lora: options.lora} : {}),
    }
    logger('debug', `model loaded: ${JSON.stringify(info)}`)
    const runtime = {governor, alignment, tokenTimeoutMs: options.tokenTimeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS}
    const grammars: GrammarFactory = {
      // node-llama-cpp's generic type is narrowed per schema, which we do not need.
      fromSchema: (schema: GbnfJsonSchema) => llama.createGrammarForJsonSchema(schema as never) as ReturnType<GrammarFactory['fromSchema']>,
      fromGbnf: (gbnf: string) => llama.createGrammar({grammar: gbnf}),
    }
    return new LlamaEngine(info, model, chatWrapper, slots, runtime, grammars, async () => {
      await context.dispose()
      await model.dispose()
      await releaseLlama()
    })
  } catch (error) {
    await model.dispose()
    await releaseLlama()
    throw translateLlamaError(error, 'E_CONTEXT', 'Could not create a context for the model', '--context-size', options.signal)
  }
}

async function checkFit(llama: Llama, model: LlamaModel, contextSize: number, sequences: number, options: EngineOptions): Promise<void> {
  if (!options.checkFit) return
  const [ram, vram] = await Promise.all([llama.getRamState(), llama.getVramState()])
  options.checkFit({
    shape: modelShapeOf(model.fileInfo, model.fileInsights),
    contextSize,
    sequences,
    gpuLayers: model.gpuLayers,
    freeRamBytes: Math.max(0, ram.free - llama.ramPaddingSize),
    freeVramBytes: Math.max(0, vram.free - llama.vramPaddingSize),
  })
}

class LlamaEngine implements Engine {
  private readonly freeSlots: LlamaChat[]
  private readonly waiting: Array<(slot: LlamaChat) => void> = []
  private readonly grammars = new Map<string, Promise<RequestGrammar>>()
  /** Per system prompt: its shared prefix tokens and the sequence that evaluated them once for all. */
  private readonly prefixes = new Map<string, {tokens: Token[]; donor?: Promise<LlamaContextSequence>}>()
  private disposed = false
  /** Generations running now, and whether one ran alongside another (then its speed says nothing about threads). */
  private readonly active = new Set<number>()
  private readonly overlapped = new Set<number>()
  private nextGeneration = 0

  constructor(
    readonly info: EngineInfo,
    private readonly model: LlamaModel,
    private readonly chatWrapper: ChatWrapper,
    slots: LlamaChat[],
    private readonly runtime: {governor: ThreadGovernor; alignment: StepAlignment; tokenTimeoutMs: number},
    private readonly createGrammar: GrammarFactory,
    private readonly release: () => Promise<void>,
  ) {
    this.freeSlots = [...slots]
  }

  countTokens(text: string): number {
    return this.model.tokenize(text).length
  }

  countPromptTokens(request: Pick<ChatRequest, 'examples' | 'history' | 'system' | 'user'>): number {
    const {contextText} = this.chatWrapper.generateContextState({chatHistory: toHistory(request)})
    return contextText.tokenize(this.model.tokenizer).length
  }

  async chat(request: ChatRequest): Promise<Generation> {
    const promptTokens = this.countPromptTokens(request)
    if (promptTokens + request.maxTokens > this.info.contextSize) {
      throw new InputError(
        `the record needs ${promptTokens} prompt tokens + ${request.maxTokens} output tokens, but the context holds ${this.info.contextSize}`,
        {hint: `Raise --context-size (the model was trained for ${this.info.trainContextSize ?? 'unknown'}) or lower --max-tokens.`, details: {promptTokens, contextSize: this.info.contextSize}},
        'E_TOO_LONG',
      )
    }

    const constraint = request.grammar || request.schema ? await this.grammarFor(request) : undefined
    const slot = await this.acquire()
    await this.runtime.governor.beforeRecord()
    const started = performance.now()
    const outputBefore = slot.sequence.tokenMeter.usedOutputTokens
    const inputBefore = slot.sequence.tokenMeter.usedInputTokens
    const watchdog = new TokenWatchdog(this.runtime.tokenTimeoutMs, promptTokens, request.signal)
    const generationId = this.nextGeneration++
    this.startGeneration(generationId)
    const promptThreads = this.runtime.governor.promptStarted(generationId, promptTokens)
    let generationThreads: number | undefined
    let slotUsable = true
    try {
      await this.sharePrefix(slot.sequence, request)
      const response = slot.generateResponse(toHistory(request), {
        grammar: constraint?.grammar,
        maxTokens: request.maxTokens,
        seed: request.seed,
        signal: watchdog.signal,
        stopOnAbortSignal: true,
        temperature: request.temperature ?? 0,
        onTextChunk: request.onText,
        onToken: (tokens) => {
          generationThreads ??= this.runtime.governor.generationStarted(generationId)
          watchdog.onTokens(tokens.length)
        },
      })
      const result = await watchdog.race(response).catch((error: unknown) => {
        // llama.cpp did not return even after the abort: this sequence is lost for the rest of the run.
        if (watchdog.stalled) slotUsable = false
        throw error
      })
      if (request.signal?.aborted) throw new InterruptedError()
      if (watchdog.stalled) throw watchdog.stallError()
      const evaluatedPromptTokens = slot.sequence.tokenMeter.usedInputTokens - inputBefore
      if (!this.overlapped.has(generationId)) {
        this.runtime.governor.promptMeasured(evaluatedPromptTokens, watchdog.promptMs, promptThreads)
        this.runtime.governor.afterRecord(watchdog.tokens - 1, watchdog.generateMs, generationThreads)
      }

      const generation: Generation = {
        text: result.response,
        stopReason: toStopReason(result.metadata.stopReason),
        promptTokens,
        outputTokens: slot.sequence.tokenMeter.usedOutputTokens - outputBefore,
        evaluatedPromptTokens,
        durationMs: performance.now() - started,
      }
      if (constraint) generation.json = request.acceptInvalidJson ? tryParseJson(constraint.parse, generation.text) : parseJson(constraint.parse, generation)
      return generation
    } catch (error) {
      if (request.signal?.aborted) throw new InterruptedError()
      throw translateLlamaError(error, 'E_GENERATE', 'Generation failed', '--max-tokens or --context-size')
    } finally {
      watchdog.stop()
      this.runtime.governor.recordEnded(generationId)
      this.runtime.alignment.generationEnded(slot.sequence)
      this.endGeneration(generationId)
      if (slotUsable) this.releaseSlot(slot)
    }
  }

  private startGeneration(generation: number): void {
    if (this.active.size > 0) for (const id of [...this.active, generation]) this.overlapped.add(id)
    this.active.add(generation)
  }

  private endGeneration(generation: number): void {
    this.active.delete(generation)
    this.overlapped.delete(generation)
  }

  async dispose(): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    await this.release()
  }

  /**
   * Gives a sequence the KV cells of the prompt prefix every record of a task shares (instructions, examples):
   * the first sequence to need it evaluates it, the others copy its cells instead of evaluating it again.
   * LlamaChat then evaluates only what follows. One sequence needs none of this: it keeps its own prefix.
   */
  private async sharePrefix(sequence: LlamaContextSequence, request: Pick<ChatRequest, 'examples' | 'system'>): Promise<void> {
    if (this.info.sequences < 2) return
    const key = JSON.stringify([request.system, request.examples ?? []])
    let entry = this.prefixes.get(key)
    if (!entry) {
      const tokens = this.sharedPrefixTokens(request)
      // A short prefix is remembered as not worth sharing, so it is not rendered again for every record.
      const donor =
        tokens.length < MIN_SHARED_PREFIX_TOKENS
          ? undefined
          : (async () => {
              if (sequence.contextTokens.length > 0) await sequence.clearHistory()
              await sequence.evaluateWithoutGeneratingNewTokens(tokens)
              return sequence
            })()
      entry = {tokens, donor}
      this.prefixes.set(key, entry)
      await donor
      return
    }

    if (!entry.donor || startsWith(sequence.contextTokens, entry.tokens)) return
    const donor = await entry.donor
    if (donor === sequence || !startsWith(donor.contextTokens, entry.tokens)) return
    // node-llama-cpp 3.22 has llama_memory_seq_cp only behind this internal method; without it LlamaChat evaluates the prefix.
    const copy = (sequence as unknown as {_copyStateFromOtherSequence?: (from: LlamaContextSequence, upTo: number) => Promise<boolean>})._copyStateFromOtherSequence
    await copy?.call(sequence, donor, entry.tokens.length)
  }

  /** The tokens a prompt prefix's renderings share whatever the user message: the template up to the user's text. */
  private sharedPrefixTokens(prefix: Pick<ChatRequest, 'examples' | 'system'>): Token[] {
    const render = (user: string): Token[] => this.chatWrapper.generateContextState({chatHistory: toHistory({...prefix, user})}).contextText.tokenize(this.model.tokenizer)
    const [a, b] = [render('a'), render('b')]
    let length = 0
    while (length < a.length && length < b.length && a[length] === b[length]) length++
    return a.slice(0, length)
  }

  /** The request's grammar, compiled once per grammar or schema (see {@link compileRequestGrammar}). */
  private async grammarFor(request: Pick<ChatRequest, 'grammar' | 'schema'>): Promise<RequestGrammar> {
    const key = request.grammar ? `gbnf:${request.grammar}` : `schema:${JSON.stringify(request.schema)}`
    let grammar = this.grammars.get(key)
    if (!grammar) {
      grammar = compileRequestGrammar(request, this.createGrammar)
      this.grammars.set(key, grammar)
    }

    return grammar
  }

  private acquire(): Promise<LlamaChat> {
    const slot = this.freeSlots.pop()
    if (slot) return Promise.resolve(slot)
    return new Promise((resolve) => this.waiting.push(resolve))
  }

  private releaseSlot(slot: LlamaChat): void {
    const next = this.waiting.shift()
    if (next) next(slot)
    else this.freeSlots.push(slot)
  }
}

function toHistory(request: Pick<ChatRequest, 'examples' | 'history' | 'system' | 'user'>): ChatHistoryItem[] {
  // Few-shot examples first (they belong to the shared prefix), then the conversation so far, then the new message.
  const turns = [...(request.examples ?? []).map((example) => ({user: example.user, assistant: example.reply})), ...(request.history ?? [])]
  return [
    {type: 'system', text: request.system},
    ...turns.flatMap((turn): ChatHistoryItem[] => [{type: 'user', text: turn.user}, {type: 'model', response: [turn.assistant]}]),
    {type: 'user', text: request.user},
    {type: 'model', response: []},
  ]
}

function tryParseJson(parse: (text: string) => unknown, text: string): unknown {
  try {
    return parse(text)
  } catch {
    // The caller asked for the raw text of invalid output (acceptInvalidJson): `json` stays unset.
    return undefined
  }
}

function parseJson(parse: (text: string) => unknown, generation: Generation): unknown {
  try {
    return parse(generation.text)
  } catch (error) {
    const cut = generation.stopReason === 'maxTokens'
    throw new EngineError(cut ? 'the structured output was cut off at --max-tokens' : 'the structured output did not match the schema', {
      cause: error,
      hint: cut ? 'Raise --max-tokens.' : 'Try another --seed or a larger model.',
    }, 'E_OUTPUT_INVALID')
  }
}

function toStopReason(reason: string): StopReason {
  if (reason === 'maxTokens') return 'maxTokens'
  if (reason === 'abort') return 'abort'
  if (reason === 'eogToken') return 'endOfText'
  return 'stopTrigger'
}

function startsWith(tokens: readonly Token[], prefix: readonly Token[]): boolean {
  if (tokens.length < prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (tokens[i] !== prefix[i]) return false
  return true
}
