import {chooseThreads, describeThreadChoice, othersBusyCores, readCpuLimits, threadCeiling as limitsCeiling, takeCpuSnapshot, type CpuLimits, type CpuSnapshot, type ThreadInputs} from '../../../cpu/index.js'
import type {EngineLogger} from '../../types.js'

/** How often the load around a run is looked at again. Cheap: two reads of /proc/stat per check. */
const RECHECK_MS = 5000
/** Generation at N threads this many times slower than one thread would be is a collapse (the barrier spins). */
const COLLAPSE_FACTOR = 3
/** After a collapse, threads are not raised again for this long (doubled at each new collapse). */
const COLLAPSE_COOLDOWN_MS = 60_000
/** Tokens a record must generate before its speed says anything. */
const MIN_TOKENS_FOR_SPEED = 8
/**
 * Prompts of at least this many tokens run at the thread count chosen from the free cores, even when generation runs
 * at 1 thread (see ThreadGovernor.generationStarted); shorter ones decode like generation steps. They used to run at
 * the ceiling whatever the load (pp at 2 threads was 1.0–1.35× pp at 1 next to a busy core on an earlier machine),
 * but on a 2-core AMX machine, interleaved, one core busy, 1 thread won for every binary: pp512 llama-bench
 * (OpenMP) 282 vs 274 (Q4_0) and 206 vs 169 t/s (Q8_0), the prebuilt binary 517 vs 424 and 517 vs 430, all on a
 * 245M model. A 1.7B Q4_0 model still gained from 2 (llama-bench 46 vs 40): the best count depends on the model, so
 * when the free cores allow fewer threads than the ceiling, one prompt is tried at the ceiling (see promptMeasured).
 */
export const PROMPT_BATCH_MIN_TOKENS = 32
/** How much faster per token a prompt at the ceiling must have been to be taken over the free-core count. */
const PROMPT_CEILING_MARGIN = 1.05

/** The CPU facts a run starts from, measured while the model loads. */
export interface CpuFacts extends CpuLimits {
  /** The counters when measuring started; the load of other processes is measured from here. */
  since?: CpuSnapshot
}

/** Starts measuring: reads the cores, the quota and the counters. The load is known at the next read. */
export async function startCpuFacts(): Promise<CpuFacts> {
  const [limits, since] = await Promise.all([readCpuLimits(), takeCpuSnapshot()])
  return {...limits, since}
}

/** The most threads a run may ever use: the physical cores, the allowed CPUs, the quota and the Slurm allocation, or the forced count. */
export function threadCeiling(facts: CpuFacts, forced?: number): number {
  return forced ?? limitsCeiling(facts)
}

/**
 * Keeps a llama.cpp instance's thread count following the free CPU during a run: the first choice comes from the
 * load measured while the model loaded, then the load is looked at again every few seconds between records, and a
 * collapse (time per token at N threads several times what one thread gives) drops to one thread, said once on
 * stderr. Applies through `setThreads`, which node-llama-cpp honours from the next decode (`llama.maxThreads`).
 * With a forced count (`--threads N`) it does nothing.
 */
export class ThreadGovernor {
  private current: number
  private lastCheckAt = performance.now()
  private snapshot?: CpuSnapshot
  private readonly bestMsPerToken = new Map<number, number>()
  private cooldownUntil = 0
  private cooldownMs = COLLAPSE_COOLDOWN_MS
  private collapseReported = false
  /** Without OpenMP: whether generation was measured faster at 1 thread than at `current` (undefined: not yet). */
  private generateAtOne?: boolean
  /** The next solo record generates at 1 thread, to compare. */
  private probeOne = false
  /** Records still evaluating a prompt of at least {@link PROMPT_BATCH_MIN_TOKENS}: while any is, decodes use the chosen count, not 1. */
  private readonly prompting = new Set<number>()
  private applied: number
  /** The most threads a run may use; prompts may go up to it when the free cores allow fewer (see promptMeasured). */
  private readonly ceiling: number
  /** Best milliseconds per prompt token of solo records, by threads, at the current count (cleared when it changes). */
  private readonly bestPromptMsPerToken = new Map<number, number>()
  /** Whether prompts were measured faster at the ceiling than at `current` (undefined: not yet). */
  private promptAtCeiling?: boolean

  private constructor(
    private readonly facts: CpuFacts,
    private readonly openmp: boolean,
    private readonly forced: boolean,
    private readonly setThreads: (threads: number) => void,
    private readonly log: EngineLogger,
    private readonly sample: () => Promise<CpuSnapshot | undefined>,
    initial: number,
  ) {
    this.current = initial
    this.applied = initial
    this.snapshot = facts.since
    this.ceiling = Math.max(initial, limitsCeiling(facts))
  }

  /**
   * The threads of a large prompt batch: the count chosen from the free cores (or the forced count), or the ceiling
   * when that was measured faster, or to measure it (the first solo prompt after one at the chosen count).
   */
  private get promptThreads(): number {
    if (this.forced || this.current >= this.ceiling || this.promptAtCeiling === false) return this.current
    return this.promptAtCeiling || this.bestPromptMsPerToken.has(this.current) ? this.ceiling : this.current
  }

  /**
   * The governor for a run: chooses the first thread count now (unless forced) and applies it. `sample` reads the CPU
   * counters (default: /proc/stat and this process's CPU time; tests pass their own).
   */
  static async start(options: {
    facts: CpuFacts
    openmp: boolean
    forced?: number
    setThreads: (threads: number) => void
    log: EngineLogger
    sample?: () => Promise<CpuSnapshot | undefined>
  }): Promise<ThreadGovernor> {
    const {facts, openmp, forced, setThreads, log, sample = takeCpuSnapshot} = options
    if (forced !== undefined) {
      log('debug', `threads: ${forced} (set by --threads)`)
      return new ThreadGovernor(facts, openmp, true, setThreads, log, sample, forced)
    }

    const now = await sample()
    const freeCores = facts.since && now ? Math.max(0, facts.physicalCores - othersBusyCores(facts.since, now)) : undefined
    const choice = chooseThreads({...inputsOf(facts, openmp), freeCores})
    const governor = new ThreadGovernor(facts, openmp, false, setThreads, log, sample, choice.threads)
    log('debug', `threads: ${describeThreadChoice(choice)}`)
    setThreads(choice.threads)
    governor.snapshot = now
    return governor
  }

  /**
   * The thread count chosen now from the free cores: prompts, and generation unless it was measured faster at 1
   * thread (see {@link generationStarted}).
   */
  get threads(): number {
    return this.current
  }

  /**
   * A record starts: a prompt of `promptTokens` (at least {@link PROMPT_BATCH_MIN_TOKENS}) is evaluated at the chosen
   * count until its first token comes, even while generation runs at 1 thread; a shorter one like generation.
   */
  promptStarted(id: number, promptTokens = PROMPT_BATCH_MIN_TOKENS): number {
    if (promptTokens >= PROMPT_BATCH_MIN_TOKENS) this.prompting.add(id)
    this.applyPhase()
    return this.applied
  }

  /**
   * After a record that ran alone: its prompt's evaluation (`tokens` evaluated, first token after `ms`) at `threads`
   * (what {@link promptStarted} returned). While the free cores allow fewer threads than the ceiling, one prompt at
   * each count decides which large prompts use until the count changes.
   */
  promptMeasured(tokens: number, ms: number, threads: number): void {
    if (this.forced || tokens < PROMPT_BATCH_MIN_TOKENS || ms <= 0 || this.current >= this.ceiling) return
    if (threads !== this.current && threads !== this.ceiling) return
    this.bestPromptMsPerToken.set(threads, Math.min(this.bestPromptMsPerToken.get(threads) ?? Infinity, ms / tokens))
    const [atCurrent, atCeiling] = [this.bestPromptMsPerToken.get(this.current), this.bestPromptMsPerToken.get(this.ceiling)]
    if (atCurrent === undefined || atCeiling === undefined || this.promptAtCeiling !== undefined) return
    this.promptAtCeiling = atCeiling * PROMPT_CEILING_MARGIN < atCurrent
    const speed = (msPerToken: number): string => (1000 / msPerToken).toFixed(0)
    this.log('debug', `threads: prompts at ${this.promptAtCeiling ? this.ceiling : this.current} (${speed(atCeiling)} t/s at ${this.ceiling} threads, ${speed(atCurrent)} at ${this.current})`)
    this.applyPhase()
  }

  /**
   * A record's first token came: its prompt is done. Returns the threads its generation runs at: without OpenMP one
   * token's decode is so short that a second thread's spinning barrier can cost more than it brings, so generation
   * runs at 1 thread when that was measured faster (a solo record at 1 thread is the probe). While another record's
   * large prompt is in the same batches, they run at the chosen count.
   */
  generationStarted(id: number): number {
    this.prompting.delete(id)
    this.applyPhase()
    return this.prompting.size > 0 ? this.promptThreads : this.generationThreads()
  }

  /** A record ended (done, failed or aborted). */
  recordEnded(id: number): void {
    this.prompting.delete(id)
    this.applyPhase()
  }

  /** Between records: looks at the load again when the last look is a few seconds old, and follows it. */
  async beforeRecord(): Promise<void> {
    if (this.forced || performance.now() - this.lastCheckAt < RECHECK_MS) return
    this.lastCheckAt = performance.now()
    const now = await this.sample()
    if (!now || !this.snapshot) return
    const freeCores = Math.max(0, this.facts.physicalCores - othersBusyCores(this.snapshot, now))
    this.snapshot = now
    const choice = chooseThreads({...inputsOf(this.facts, this.openmp), freeCores})
    const threads = choice.threads > this.current && performance.now() < this.cooldownUntil ? this.current : choice.threads
    if (threads !== this.current) {
      this.log('debug', `threads: ${this.current} → ${describeThreadChoice({...choice, threads})}`)
      this.apply(threads)
    }
  }

  /**
   * After a record that ran alone: its generation speed at `threads` (what {@link generationStarted} returned), to
   * compare 1 thread with more (without OpenMP) and to catch a collapse the load figures did not show.
   */
  afterRecord(outputTokens: number, generateMs: number, threads = this.current): void {
    if (this.forced || outputTokens < MIN_TOKENS_FOR_SPEED || generateMs <= 0) return
    const msPerToken = generateMs / outputTokens
    const best = Math.min(this.bestMsPerToken.get(threads) ?? Infinity, msPerToken)
    this.bestMsPerToken.set(threads, best)
    this.compareWithOneThread()
    if (threads === 1) return
    // One thread's time per token: measured, or at most N times the best seen at N threads (perfect scaling).
    const oneThreadMs = this.bestMsPerToken.get(1) ?? best * threads
    if (msPerToken <= COLLAPSE_FACTOR * oneThreadMs) return
    const message = `llama.cpp at ${threads} threads took ${msPerToken.toFixed(1)} ms per token, ${(msPerToken / oneThreadMs).toFixed(0)}× what 1 thread takes: another process is using the CPU; using 1 thread (--threads N to choose)`
    this.log(this.collapseReported ? 'debug' : 'warn', message)
    this.collapseReported = true
    this.cooldownUntil = performance.now() + this.cooldownMs
    this.cooldownMs *= 2
    this.apply(1)
  }

  private compareWithOneThread(): void {
    if (this.openmp || this.current === 1 || this.generateAtOne !== undefined) return
    const [atOne, atCurrent] = [this.bestMsPerToken.get(1), this.bestMsPerToken.get(this.current)]
    if (atCurrent !== undefined && atOne === undefined) {
      this.probeOne = true
      return
    }

    if (atOne === undefined || atCurrent === undefined) return
    this.probeOne = false
    this.generateAtOne = atOne < atCurrent
    this.log('debug', `threads: generation at ${this.generateAtOne ? 1 : this.current} (${(1000 / atOne).toFixed(0)} t/s at 1 thread, ${(1000 / atCurrent).toFixed(0)} at ${this.current}; llama.cpp without OpenMP)`)
    this.applyPhase()
  }

  private generationThreads(): number {
    return this.probeOne || this.generateAtOne ? 1 : this.current
  }

  private applyPhase(): void {
    if (this.forced) return
    const threads = this.prompting.size > 0 ? this.promptThreads : this.generationThreads()
    if (threads === this.applied) return
    this.applied = threads
    this.setThreads(threads)
  }

  private apply(threads: number): void {
    if (threads !== this.current) {
      this.generateAtOne = undefined
      this.promptAtCeiling = undefined
      this.bestPromptMsPerToken.clear()
    }

    this.current = threads
    this.applyPhase()
  }
}

function inputsOf(facts: CpuFacts, openmp: boolean): Omit<ThreadInputs, 'freeCores'> {
  return {physicalCores: facts.physicalCores, allowedCpus: facts.allowedCpus, quotaCores: facts.quotaCores, schedulerCpus: facts.schedulerCpus, openmp}
}
