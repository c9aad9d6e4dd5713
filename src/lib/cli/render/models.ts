import {formatBytes} from '../../format/index.js'
import type {InstalledModel} from '../../store/index.js'

/**
 * The human table of installed models (`jsl-med models`): id, quantization, size, whether the sha256 was
 * verified, installation date and path. A model whose file has gone is marked `missing`.
 */
export function renderModelTable(models: readonly InstalledModel[]): string {
  const rows = models.map((model) => [
    model.id,
    model.quantName ?? model.quant ?? '-',
    formatBytes(model.sizeBytes + (model.mmproj?.sizeBytes ?? 0)),
    model.present ? (model.checksumSource === 'computed' ? 'recorded' : 'verified') : 'MISSING',
    model.installedAt.slice(0, 10),
    model.path,
  ])
  const header = ['ID', 'QUANT', 'SIZE', 'SHA256', 'INSTALLED', 'PATH']
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)))
  return [header, ...rows].map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ')).join('\n')
}
