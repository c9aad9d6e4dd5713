import {AppError, EXIT_CODES, InputError} from '../errors/index.js'
import type {BenchRecord} from './record.js'

/** One compared figure of one (model, quant, task). */
export interface Delta {
  model: string
  quant: string
  task: string
  /** `pp512 t/s`, `tg128 t/s`, `ttft ms`, `peak RSS bytes`, `accuracy`, `strict F1`, `overlap F1`. */
  metric: string
  a: number
  b: number
  /** b − a. */
  delta: number
  /** 100 · (b − a) / a; null when a is 0. */
  deltaPercent: number | null
  higherIsBetter: boolean
  /** Whether this figure can fail the comparison (throughput, accuracy, strict F1); the others are informational. */
  judged: boolean
  /** Worse than a by more than the threshold. */
  regression: boolean
}

/** The result of {@link compareRecords}. */
export interface Comparison {
  deltas: Delta[]
  /** Keys (`model quant task`) only in a / only in b. */
  onlyInA: string[]
  onlyInB: string[]
  regressions: number
  thresholdPercent: number
  /** The two files were measured on different hardware or thread counts (speed is then not comparable). */
  hardwareDiffers: boolean
}

/** The default `--threshold`: a judged figure more than 10% worse is a regression (above this VM's run-to-run noise). */
export const DEFAULT_THRESHOLD_PERCENT = 10

/** Parses a file of bench NDJSON lines; blank lines are skipped, anything else malformed is an InputError with the line. */
export function parseBenchRecords(text: string, source: string): BenchRecord[] {
  const records: BenchRecord[] = []
  for (const [index, line] of text.split('\n').entries()) {
    if (!line.trim()) continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      throw new InputError(`${source}:${index + 1}: not JSON`, {hint: 'Pass files written by `jsl-med bench` (NDJSON).'}, 'E_BAD_JSON')
    }

    const record = value as Partial<BenchRecord>
    if (typeof record !== 'object' || record === null || !record.kind || !record.task || !record.model || typeof record.quant !== 'string') {
      throw new InputError(`${source}:${index + 1}: not a bench result record`, {hint: 'Pass files written by `jsl-med bench` (NDJSON).'}, 'E_BAD_RECORD')
    }

    records.push(record as BenchRecord)
  }

  return records
}

const shotsOf = (record: BenchRecord): number => (record.kind === 'speed' || record.kind === 'quality' ? 0 : ((record.settings as {shots?: number} | undefined)?.shots ?? 0))
// A speed record at a context depth (llama-bench -d) is compared with the other run's record at the same depth.
const depthOf = (record: BenchRecord): string => (record.kind === 'speed' && record.settings?.depth ? ` @ d${record.settings.depth}` : '')
// Few-shot and adapter figures are other figures: a 3-shot record is compared with the other run's 3-shot record.
const loraOf = (record: BenchRecord): string => (record.lora ? ` +lora ${record.lora.map(({sha256, scale}) => `${sha256.slice(0, 8)}:${scale}`).join(',')}` : '')
const keyOf = (record: BenchRecord): string => `${record.model.id}${loraOf(record)} ${record.quant} ${record.task}${shotsOf(record) > 0 ? ` ${shotsOf(record)}-shot` : ''}${depthOf(record)}`

interface Figure {
  metric: string
  value: number
  higherIsBetter: boolean
  judged: boolean
}

function figuresOf(record: BenchRecord): Figure[] {
  switch (record.kind) {
    case 'speed': {
      return [
        {metric: `${record.speed.pp.name} t/s`, value: record.speed.pp.tokensPerSecond.mean, higherIsBetter: true, judged: true},
        {metric: `${record.speed.tg.name} t/s`, value: record.speed.tg.tokensPerSecond.mean, higherIsBetter: true, judged: true},
        {metric: 'ttft ms', value: record.speed.timeToFirstTokenMs.mean, higherIsBetter: false, judged: false},
        {metric: 'peak RSS bytes', value: record.speed.peakRssBytes, higherIsBetter: false, judged: false},
      ]
    }

    case 'accuracy': {
      return [{metric: 'accuracy', value: record.accuracy.accuracy, higherIsBetter: true, judged: true}]
    }

    case 'ner': {
      return [
        {metric: 'strict F1', value: record.ner.strict.f1, higherIsBetter: true, judged: true},
        {metric: 'overlap F1', value: record.ner.overlap.f1, higherIsBetter: true, judged: false},
      ]
    }

    case 'deid': {
      const recalls = Object.entries(record.deid.categories)
        .filter(([, figures]) => figures.detector === 'rule')
        .map(([category, figures]) => ({metric: `${category} recall`, value: figures.strict.recall, higherIsBetter: true, judged: true}))
      return [...recalls, {metric: 'rule leakage', value: record.deid.leakage.rule, higherIsBetter: false, judged: false}]
    }

    case 'quality': {
      // Informational: the same files give the same figures; a change says the engine changed, not a regression.
      return [
        {metric: 'KLD nats', value: record.quality.kld.mean, higherIsBetter: false, judged: false},
        {metric: 'top-1 agreement', value: record.quality.top1.rate, higherIsBetter: true, judged: false},
      ]
    }

    case 'vqa': {
      return [
        {metric: 'closed accuracy', value: record.vqa.closed.accuracy, higherIsBetter: true, judged: true},
        {metric: 'open recall', value: record.vqa.open.meanRecall, higherIsBetter: true, judged: true},
        {metric: 'F1', value: record.vqa.f1, higherIsBetter: true, judged: false},
      ]
    }

    default: {
      return []
    }
  }
}

const hardwareKey = (record: BenchRecord): string =>
  JSON.stringify([record.hardware?.cpu?.model, record.hardware?.threads, record.hardware?.backend, record.hardware?.gpus])

/**
 * Compares run b against run a, matching records by (model id, quant, task); the last record of a key wins when a
 * file holds several. A judged figure that is worse by more than `thresholdPercent` percent is a regression.
 */
export function compareRecords(a: readonly BenchRecord[], b: readonly BenchRecord[], thresholdPercent = DEFAULT_THRESHOLD_PERCENT): Comparison {
  const byKey = (records: readonly BenchRecord[]): Map<string, BenchRecord> => new Map(records.map((record) => [keyOf(record), record]))
  const left = byKey(a)
  const right = byKey(b)
  const deltas: Delta[] = []
  let hardwareDiffers = false
  for (const [key, before] of left) {
    const after = right.get(key)
    if (!after || after.kind !== before.kind) continue
    if (before.kind === 'speed' && hardwareKey(before) !== hardwareKey(after)) hardwareDiffers = true
    const afterFigures = new Map(figuresOf(after).map((figure) => [figure.metric, figure]))
    for (const figure of figuresOf(before)) {
      const other = afterFigures.get(figure.metric)
      if (!other || !Number.isFinite(figure.value) || !Number.isFinite(other.value)) continue
      const delta = other.value - figure.value
      const deltaPercent = figure.value === 0 ? null : (100 * delta) / Math.abs(figure.value)
      const worsePercent = deltaPercent === null ? 0 : figure.higherIsBetter ? -deltaPercent : deltaPercent
      deltas.push({
        model: before.model.id,
        quant: before.quant,
        task: before.task,
        metric: figure.metric,
        a: figure.value,
        b: other.value,
        delta,
        deltaPercent,
        higherIsBetter: figure.higherIsBetter,
        judged: figure.judged,
        regression: figure.judged && worsePercent > thresholdPercent,
      })
    }
  }

  return {
    deltas,
    onlyInA: [...left.keys()].filter((key) => !right.has(key)),
    onlyInB: [...right.keys()].filter((key) => !left.has(key)),
    regressions: deltas.filter((delta) => delta.regression).length,
    thresholdPercent,
    hardwareDiffers,
  }
}

/**
 * The error a comparison with regressions ends with: exit 9, the table's "some records failed" — every delta line
 * was written and some did not pass — so that scripts can tell a regression from a comparison that could not run
 * (2 usage, 8 unreadable or malformed files).
 */
export function regressionError(comparison: Comparison): AppError {
  return new AppError(
    'E_REGRESSION',
    `${comparison.regressions} of ${comparison.deltas.filter((delta) => delta.judged).length} compared figures regressed by more than ${comparison.thresholdPercent}%`,
    EXIT_CODES.partialFailure,
    {
      hint: 'The delta lines with "regression": true are on stdout. Speed varies between runs: repeat with more -r, or raise --threshold.',
      details: {regressions: comparison.regressions},
    },
  )
}
