import type {BenchRecord, Comparison} from '../../bench/index.js'
import {formatBytes} from '../../format/index.js'

const formatParameters = (count?: number): string => {
  if (count === undefined) return '–'
  if (count >= 1e9) return `${(count / 1e9).toFixed(2)} B`
  if (count >= 1e6) return `${(count / 1e6).toFixed(1)} M`
  return `${(count / 1e3).toFixed(1)} K`
}

const plusMinus = (mean: number, sd: number, digits = 2): string => `${mean.toFixed(digits)} ± ${sd.toFixed(digits)}`
const percent = (value: number): string => `${(100 * value).toFixed(1)}%`
/** An accuracy with its 95% interval and N: `61.0% [55.2%–66.5%] n=300`. */
const accuracyCell = (accuracy: number, [low, high]: readonly [number, number], n: number): string => `${percent(accuracy)} [${percent(low)}–${percent(high)}] n=${n}`

/** A Markdown table (llama-bench's `-o md` layout) of bench records, for stderr and for READMEs. */
export function formatBenchTable(records: readonly BenchRecord[]): string {
  const header = ['model', 'quant', 'size', 'params', 'backend', 'threads', 'test', 'result']
  const rows: string[][] = []
  for (const record of records) {
    const common = [
      record.lora ? `${record.model.id} + LoRA ${record.lora.map(({sha256, scale}) => `${sha256.slice(0, 8)}:${scale}`).join(', ')}` : record.model.id,
      record.quant,
      formatBytes(record.model.sizeBytes, 'binary'),
      formatParameters(record.model.parameterCount),
      record.hardware.backend,
      String(record.hardware.threads),
    ]
    switch (record.kind) {
      case 'speed': {
        const {pp, tg, timeToFirstTokenMs, peakRssBytes} = record.speed
        rows.push(
          [...common, pp.name, `${plusMinus(pp.tokensPerSecond.mean, pp.tokensPerSecond.sd)} t/s`],
          [...common, tg.name, `${plusMinus(tg.tokensPerSecond.mean, tg.tokensPerSecond.sd)} t/s`],
          [...common, `ttft (${pp.tokens})${record.settings.depth ? ` @ d${record.settings.depth}` : ''}`, `${plusMinus(timeToFirstTokenMs.mean, timeToFirstTokenMs.sd, 1)} ms, peak RSS ${formatBytes(peakRssBytes, 'binary')}`],
        )
        if (record.baseline && record.ratio) {
          const {baseline, ratio} = record
          rows.push(
            [...common, `${pp.name} llama-bench`, `${plusMinus(baseline.pp.mean, baseline.pp.sd)} t/s (jsl-med / llama-bench ${ratio.pp.toFixed(3)})`],
            [...common, `${tg.name} llama-bench`, `${plusMinus(baseline.tg.mean, baseline.tg.sd)} t/s (jsl-med / llama-bench ${ratio.tg.toFixed(3)})`],
          )
        }

        break
      }

      case 'accuracy': {
        const {accuracy, n, ci95} = record.accuracy
        rows.push([...common, `${record.task} (${record.settings.scoring}, ${record.settings.shots}-shot)`, accuracyCell(accuracy, ci95, n)])
        break
      }

      case 'ner': {
        const {strict, overlap, documents, failedDocuments} = record.ner
        rows.push([
          ...common,
          `${record.task} (${record.settings.shots ?? 0}-shot)`,
          `F1 ${strict.f1.toFixed(3)} (P ${strict.precision.toFixed(3)} R ${strict.recall.toFixed(3)}), overlap F1 ${overlap.f1.toFixed(3)}, N=${documents} docs${failedDocuments > 0 ? ` (${failedDocuments} failed: too long or not JSON)` : ''}`,
        ])
        break
      }

      case 'quality': {
        const {reference, text, positions, kld, top1} = record.quality
        const nats = (value: number): string => value.toPrecision(3)
        rows.push([
          ...common,
          `quality vs ${reference.fileType} (${text})`,
          `KLD ${nats(kld.mean)} [${nats(kld.low)}–${nats(kld.high)}] nats, top-1 ${percent(top1.rate)} [${percent(top1.low)}–${percent(top1.high)}], N=${positions}`,
        ])
        break
      }

      case 'vqa': {
        const {n, failed, closed, open, bleu1, f1} = record.vqa
        rows.push(
          [...common, 'vqa-rad closed', accuracyCell(closed.accuracy, closed.ci95, closed.n)],
          [...common, 'vqa-rad open', `recall ${open.meanRecall.toFixed(3)}, accuracy ${percent(open.accuracy)} n=${open.n}`],
          [...common, 'vqa-rad all', `BLEU-1 ${bleu1.toFixed(3)}, F1 ${f1.toFixed(3)}, N=${n}${failed > 0 ? ` (${failed} failed)` : ''}`],
        )
        break
      }

      case 'deid': {
        const {categories, leakage, documents, inserted, modelSpans} = record.deid
        for (const [category, figures] of Object.entries(categories)) {
          const {strict, overlap, leaked} = figures
          const n = strict.tp + strict.fn
          rows.push([...common, `deid ${category} (${figures.detector})`, `R ${strict.recall.toFixed(3)} P ${strict.precision.toFixed(3)} F1 ${strict.f1.toFixed(3)} (overlap R ${overlap.recall.toFixed(3)}), leaked ${leaked}/${n}`])
        }

        rows.push([...common, 'deid leakage', `rule categories ${leakage.rule}, model categories ${leakage.model}, of ${inserted} inserted in ${documents} docs; ${modelSpans} spans from the model`])
        break
      }
    }
  }

  return renderMarkdown(header, rows)
}

/** A Markdown table of a comparison's deltas. */
export function formatComparisonTable(comparison: Comparison): string {
  const header = ['model', 'quant', 'task', 'metric', 'a', 'b', 'Δ%', '']
  const number = (value: number): string => (Math.abs(value) >= 1000 ? value.toFixed(0) : value.toPrecision(4))
  const rows = comparison.deltas.map((delta) => [
    delta.model,
    delta.quant,
    delta.task,
    delta.metric,
    number(delta.a),
    number(delta.b),
    delta.deltaPercent === null ? '–' : `${delta.deltaPercent >= 0 ? '+' : ''}${delta.deltaPercent.toFixed(1)}%`,
    delta.regression ? 'REGRESSION' : delta.judged ? 'ok' : '',
  ])
  return renderMarkdown(header, rows)
}

function renderMarkdown(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)))
  const line = (cells: string[]): string => `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`
  return [line(header), `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`, ...rows.map(line)].join('\n') + '\n'
}
