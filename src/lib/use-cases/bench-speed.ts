import {loadavg} from 'node:os'

import {
  llamaBenchTestName,
  median,
  ratioOfMedians,
  runInterleaved,
  runLlamaBench as runDefaultLlamaBench,
  summarize,
  type BenchRecordBase,
  type LlamaBenchFigures,
  type SpeedRecord,
  type SpeedRound,
} from '../bench/index.js'
import {chooseThreads, describeThreadChoice, threadCeiling, type CpuLimits} from '../cpu/index.js'
import type {BenchModel, BenchModelInfo, SpeedMeasurement} from '../engine/index.js'

/**
 * The speed tests' threads: the forced count for both tests, or for both the choice from the cores free before
 * loading and whether the loaded llama.cpp has OpenMP (without it a thread beyond the free cores stalls every other
 * one). `promptThreads` equals `threads` here; {@link choosePromptThreads} and {@link chooseGenerateThreads} may then
 * move prompts up to the ceiling or generation down to 1 thread.
 */
export function chooseSpeedThreads(facts: CpuLimits, info: BenchModelInfo, freeCores: number | undefined, forced?: number): {promptThreads: number; threads: number; reason: string} {
  if (forced !== undefined) return {promptThreads: forced, threads: forced, reason: 'set by --threads'}
  // A model that does not say (an older engine, a test fake) is taken to be the prebuilt binary: the cautious choice.
  const choice = chooseThreads({...facts, freeCores, openmp: info.binary?.openmp ?? false})
  // pp at the free cores too, like the engine's prompts, unless choosePromptThreads's probe finds the ceiling faster.
  return {promptThreads: choice.threads, threads: choice.threads, reason: describeThreadChoice(choice)}
}

/** Options of the thread probes: the forced count (no probe), the seed of the random tokens, and a stop. */
interface ProbeOptions {
  forced?: number
  seed: number
  signal?: AbortSignal
}

/**
 * Median tokens/s of `pick` (pp or tg) at each of two thread counts, measured alternating round by round (so both
 * see the same load), with a warm-up before the first measurement only.
 */
async function probeTwoCounts(
  model: BenchModel,
  [first, second]: [number, number],
  shape: {promptTokens: number; generateTokens: number; rounds: number},
  pick: (measurement: SpeedMeasurement) => number[],
  options: ProbeOptions,
): Promise<[number, number]> {
  const speeds = new Map<number, number[]>([[first, []], [second, []]])
  for (let round = 0; round < shape.rounds; round++) {
    for (const count of [first, second]) {
      const {promptTokens, generateTokens} = shape
      const probe = await model.measureSpeed({promptTokens, generateTokens, repetitions: 1, warmup: round === 0, threads: count, seed: options.seed, signal: options.signal})
      speeds.get(count)!.push(...pick(probe))
    }
  }

  return [median(speeds.get(first)!), median(speeds.get(second)!)]
}

/**
 * Rounds of the probe that compares prompt processing at the chosen count with the ceiling; its prompt is the pp
 * test's own, up to {@link PROMPT_PROBE_MAX_TOKENS}. Next to a busy core, a preempted thread costs each of a graph's
 * barriers about the same time whatever the prompt length, so a shorter probe prompt favours fewer threads: with
 * 128 tokens the probe kept 1 thread in 2 of 3 rounds on a 1.7B Q4_0 model whose pp512 was 95–99 t/s at 2 threads
 * and 66–84 at 1 (prebuilt binary).
 */
const PROMPT_PROBE = {generateTokens: 1, rounds: 2}
const PROMPT_PROBE_MAX_TOKENS = 512

/** How much faster the ceiling must be in {@link choosePromptThreads}'s probe to be taken over the free-core count. */
const PROMPT_PROBE_MARGIN = 1.05

/**
 * The pp test's threads when the free cores allowed fewer than the ceiling. Next to a busy core the better count
 * depends on the model: interleaved on a 2-core machine, 1 thread won pp512 on a 245M model (llama-bench 282 vs 274
 * t/s) and 2 won on a 1.7B one (46 vs 40). So a probe (the chosen count and the ceiling, alternating) decides;
 * the ceiling has to win by {@link PROMPT_PROBE_MARGIN}, since a thread more than the free cores costs the other
 * process too. Generation keeps the chosen count (one token's decode gains far less from a second thread).
 */
export async function choosePromptThreads(
  model: BenchModel,
  threads: number,
  ceiling: number,
  options: ProbeOptions & {promptTokens?: number},
): Promise<{promptThreads: number; reason?: string}> {
  if (options.forced !== undefined || threads >= ceiling) return {promptThreads: threads}
  const shape = {...PROMPT_PROBE, promptTokens: Math.min(options.promptTokens ?? PROMPT_PROBE_MAX_TOKENS, PROMPT_PROBE_MAX_TOKENS)}
  const [atChosen, atCeiling] = await probeTwoCounts(model, [threads, ceiling], shape, (probe) => probe.promptTokensPerSecond, options)
  if (atCeiling <= atChosen * PROMPT_PROBE_MARGIN) return {promptThreads: threads}
  return {promptThreads: ceiling, reason: `prompts at ${ceiling} threads: ${atCeiling.toFixed(0)} vs ${atChosen.toFixed(0)} t/s at ${threads} in a ${shape.promptTokens}-token probe`}
}

/** Tokens and rounds of the probe that compares generation at N threads with 1 thread. */
const GENERATE_PROBE = {promptTokens: 8, generateTokens: 32, rounds: 3}

/**
 * How much faster 1 thread must generate in {@link chooseGenerateThreads}'s probe to be taken. On an idle 2-vCPU VM
 * the probe's 1-thread / 2-thread ratio ranged 0.80–1.11 over 8 probes of a 0.25B Q4_0 model whose tg128 was 1.1–1.3×
 * faster at 2 threads, so a 5% margin took 1 thread in 3 of them; a busy core makes 2 threads 2–300× slower.
 */
const GENERATE_PROBE_MARGIN = 1.25

/**
 * The tg test's threads. Without OpenMP, one decode step of one token is so short that the spinning barrier of a
 * second thread can cost more than it brings, even on an idle machine: so unless the count is forced, a short probe
 * (N threads and 1 thread, alternating) picks the faster for generation; prompt processing keeps N.
 */
export async function chooseGenerateThreads(model: BenchModel, threads: number, options: ProbeOptions): Promise<{generateThreads: number; reason?: string}> {
  if (options.forced !== undefined || threads === 1 || (model.info.binary?.openmp ?? false)) return {generateThreads: threads}
  const [atN, atOne] = await probeTwoCounts(model, [threads, 1], GENERATE_PROBE, (probe) => probe.generateTokensPerSecond, options)
  if (atOne <= atN * GENERATE_PROBE_MARGIN) return {generateThreads: threads}
  return {generateThreads: 1, reason: `generation at 1 thread: ${atOne.toFixed(0)} vs ${atN.toFixed(0)} t/s at ${threads} in a short probe (llama.cpp without OpenMP)`}
}

/** Options of {@link benchSpeed}: what {@link measureSpeedRecord} takes, less the threads it chooses. */
export interface BenchSpeedOptions extends Omit<MeasureSpeedRecordOptions, 'depth' | 'generateThreads' | 'threadChoice' | 'threads'> {
  cpu: CpuLimits
  /** Cores free before the model loaded (see measureFreeCores); undefined when the threads are forced. */
  freeCores?: number
  /** `--threads`, for both tests. */
  forcedThreads?: number
  /** Context depths, one record each (llama-bench `-d`); default `[0]`. */
  depths?: readonly number[]
  /** Where the thread choice is logged (debug). */
  logger?: (message: string) => void
}

/**
 * The speed records of one loaded model: chooses the threads once (see {@link chooseSpeedThreads},
 * {@link choosePromptThreads} and {@link chooseGenerateThreads}), then measures each depth in turn.
 */
export async function benchSpeed(options: BenchSpeedOptions): Promise<SpeedRecord[]> {
  const {model, seed, signal} = options
  const {threads, reason: threadReason} = chooseSpeedThreads(options.cpu, model.info, options.freeCores, options.forcedThreads)
  options.onStep?.('choosing threads')
  const probe = {forced: options.forcedThreads, seed, signal}
  const {promptThreads, reason: promptReason} = await choosePromptThreads(model, threads, threadCeiling(options.cpu), {...probe, promptTokens: options.promptTokens})
  const {generateThreads, reason: generateReason} = await chooseGenerateThreads(model, threads, probe)
  const threadChoice = [threadReason, promptReason, generateReason].filter(Boolean).join('; ')
  options.logger?.(`${JSON.stringify({fileType: model.info.fileType, gpu: model.info.gpu})}, speed at ${threadChoice}`)
  const records: SpeedRecord[] = []
  for (const depth of options.depths ?? [0]) records.push(await measureSpeedRecord({...options, threads: promptThreads, generateThreads, threadChoice, depth}))
  return records
}

/** Options of {@link measureSpeedRecord}. */
export interface MeasureSpeedRecordOptions {
  model: BenchModel
  /** The record's shared fields (its `hardware.threads` is replaced by `threads`). */
  base: Omit<BenchRecordBase, 'durationMs' | 'timestamp'>
  threads: number
  /** Threads of the tg test when they differ (see {@link chooseGenerateThreads}); default `threads`. */
  generateThreads?: number
  /** Why these threads, for the record. */
  threadChoice: string
  promptTokens?: number
  generateTokens?: number
  /**
   * llama-bench `-d`: tokens in the context before each test (filled untimed); default 0, whose record is the plain
   * pp/tg one. Otherwise the record has `settings.depth` and llama-bench's names (`pp512 @ d4096`).
   */
  depth?: number
  /** Rounds (llama-bench `-r`); default 5. */
  repetitions?: number
  warmup?: boolean
  seed: number
  /** llama-bench to run at the start of every round (same model, -p, -n, -t), for a baseline at the same load. */
  llamaBench?: string
  /** Busy child processes running during the measurement, for the record. */
  busyCores?: number
  signal?: AbortSignal
  onStep?: (step: string) => void
  /** Test seam: how llama-bench runs; default the bench module's. */
  runLlamaBench?: typeof runDefaultLlamaBench
}

/**
 * Measures pp and tg in interleaved rounds (llama-bench first when given, then one jsl-med repetition, each round
 * after reading the load average) and returns the speed record, with the rounds, the baseline and the ratios.
 */
export async function measureSpeedRecord(options: MeasureSpeedRecordOptions): Promise<SpeedRecord> {
  const {model, threads, seed, signal} = options
  const step = options.onStep ?? (() => {})
  const repetitions = options.repetitions ?? 5
  const warmup = options.warmup ?? true
  const runLlamaBench = options.runLlamaBench ?? runDefaultLlamaBench
  const depth = options.depth ?? 0
  const started = performance.now()
  const measurements: SpeedMeasurement[] = []
  const baselines: LlamaBenchFigures[] = []
  const programs = [
    {
      name: 'jsl-med',
      run: async (round: number) => {
        const measurement = await model.measureSpeed({
          promptTokens: options.promptTokens,
          generateTokens: options.generateTokens,
          repetitions: 1,
          warmup: warmup && round === 1,
          threads,
          generateThreads: options.generateThreads,
          ...(depth > 0 ? {depth} : {}),
          seed,
          signal,
          onStep: (text) => step(`round ${round}/${repetitions}: ${text}`),
        })
        measurements.push(measurement)
      },
    },
  ]
  if (options.llamaBench) {
    const path = options.llamaBench
    programs.unshift({
      name: 'llama-bench',
      run: async (round: number) => {
        step(`round ${round}/${repetitions}: llama-bench`)
        const figures = await runLlamaBench({path, modelPath: model.info.modelPath, promptTokens: options.promptTokens, generateTokens: options.generateTokens, ...(depth > 0 ? {depth} : {}), threads, signal})
        baselines.push(figures)
      },
    })
  }

  const loads = (await runInterleaved({rounds: repetitions, programs, atStart: () => loadavg()[0], signal})).map(({start}) => start)
  const measurement = mergeMeasurements(measurements)
  const rounds: SpeedRound[] = loads.map((load1, i) => ({
    load1,
    pp: measurement.promptTokensPerSecond[i],
    tg: measurement.generateTokensPerSecond[i],
    ...(baselines[i]?.pp === undefined ? {} : {baselinePp: baselines[i].pp}),
    ...(baselines[i]?.tg === undefined ? {} : {baselineTg: baselines[i].tg}),
  }))
  const record: SpeedRecord = {
    ...options.base,
    hardware: {...options.base.hardware, threads},
    timestamp: new Date().toISOString(),
    durationMs: Math.round(performance.now() - started),
    kind: 'speed',
    task: 'speed',
    settings: {
      promptTokens: measurement.promptTokens,
      generateTokens: measurement.generateTokens,
      repetitions: measurement.promptTokensPerSecond.length,
      warmup,
      contextSize: measurement.contextSize,
      batchSize: measurement.batchSize,
      flashAttention: measurement.flashAttention,
      threads,
      ...(options.generateThreads !== undefined && options.generateThreads !== threads ? {generateThreads: options.generateThreads} : {}),
      threadChoice: options.threadChoice,
      ...(options.busyCores ? {busyCores: options.busyCores} : {}),
      ...(depth > 0 ? {depth} : {}),
    },
    speed: {
      pp: {name: llamaBenchTestName('pp', measurement.promptTokens, depth), tokens: measurement.promptTokens, tokensPerSecond: summarize(measurement.promptTokensPerSecond)},
      tg: {name: llamaBenchTestName('tg', measurement.generateTokens, depth), tokens: measurement.generateTokens, tokensPerSecond: summarize(measurement.generateTokensPerSecond)},
      timeToFirstTokenMs: summarize(measurement.timeToFirstTokenMs),
      peakRssBytes: measurement.peakRssBytes,
      loadMs: model.info.loadMs,
    },
    rounds,
  }
  if (options.llamaBench) Object.assign(record, baselineFields(options.llamaBench, rounds, baselines))
  return record
}

/** The `baseline` and `ratio` fields from the rounds (llama-bench tests that printed no figure are left out). */
function baselineFields(path: string, rounds: SpeedRound[], baselines: LlamaBenchFigures[]): Pick<SpeedRecord, 'baseline' | 'ratio'> {
  const series = (pick: (round: SpeedRound) => number | undefined): number[] => rounds.map(pick).filter((value): value is number => value !== undefined)
  const [pp, tg] = [series((round) => round.baselinePp), series((round) => round.baselineTg)]
  if (pp.length === 0 || tg.length === 0) return {}
  const build = baselines.find((figures) => figures.build)?.build
  return {
    baseline: {tool: 'llama-bench', path, ...(build ? {build} : {}), pp: summarize(pp), tg: summarize(tg)},
    ratio: {pp: ratioOfMedians(series((round) => round.pp), pp), tg: ratioOfMedians(series((round) => round.tg), tg)},
  }
}

/** One measurement from the per-round ones: their samples in order, the highest RSS. */
function mergeMeasurements(parts: SpeedMeasurement[]): SpeedMeasurement {
  const [first] = parts
  return {
    ...first,
    promptTokensPerSecond: parts.flatMap((part) => part.promptTokensPerSecond),
    generateTokensPerSecond: parts.flatMap((part) => part.generateTokensPerSecond),
    timeToFirstTokenMs: parts.flatMap((part) => part.timeToFirstTokenMs),
    peakRssBytes: Math.max(...parts.map((part) => part.peakRssBytes)),
  }
}
