import {BACKEND_NAMES, formatKld, type Measurement} from '../../advisor/index.js'
import {formatBytes, formatTokens} from '../../format/index.js'
import type {HardwareProfile} from '../../hardware/index.js'
import type {HwResult, ModelAdvice} from '../../use-cases/index.js'

/** Options of {@link renderHwReport}. */
export interface RenderHwOptions {
  /** One line per fact and a WHY column with each model's reason, however wide; default: fit 80 columns. */
  wide?: boolean
}

/** The width the default report fits. */
const COLUMNS = 80

/**
 * The human report of `hw`: the machine, then one row per model. By default it fits 80 columns (the estimated
 * speed instead of the reason); `wide` adds the one-line reason of every model.
 */
export function renderHwReport(result: HwResult, options: RenderHwOptions = {}): string {
  const {hardware} = result
  const wide = options.wide ?? false
  const lines = [...renderMachine(hardware, wide), '']
  const threads = hardware.cpu.physicalCores
  const context = formatTokens(result.assumptions.contextSize)
  lines.push(
    wide
      ? `Recommendations (context ${context} unless noted; at most ${threads} ${threads === 1 ? 'thread' : 'threads'} = physical cores; each run uses the cores free then, since more threads than free cores makes llama.cpp's thread pool spin)`
      : `Recommendations (context ${context} unless noted, at most ${threads} ${threads === 1 ? 'thread' : 'threads'}; reasons: --wide)`,
    '',
  )
  const rows = result.models.map((model) => {
    const r = model.recommendation
    const measuredTg = r.measured?.speed?.tg.tokensPerSecond
    const speed = measuredTg === undefined ? (r.tokensPerSecond === null ? 'GPU' : `~${formatSpeed(r.tokensPerSecond)}`) : `${formatSpeed(measuredTg)} m`
    return [
      model.userSupplied ? `${model.id} *` : model.id,
      r.quant,
      `${r.gpuLayers}/${r.totalLayers}`,
      String(r.contextSize),
      String(r.threads),
      formatBytes(r.estimate.totalBytes, 'binary'),
      r.fits ? 'yes' : 'NO',
      wide ? model.summary : speed,
    ]
  })
  lines.push(...table(['MODEL', 'QUANT', 'GPU LAYERS', 'CONTEXT', 'THREADS', wide ? 'EST. MEMORY' : 'MEMORY', 'FITS', wide ? 'WHY' : 'TOK/S'], rows))
  const notes = [
    ...(wide ? [] : ['TOK/S: ~ estimated from memory bandwidth, an upper bound; m: measured here (the newest `jsl-med bench` tg figure).']),
    ...(result.models.some((model) => model.userSupplied)
      ? [`* licensed John Snow Labs model, not openly downloadable:${wide ? ' ' : '\n  '}import your copy with \`jsl-med pull ./FILE.gguf --as ID\``]
      : []),
  ]
  if (notes.length > 0) lines.push('', ...notes.flatMap((note) => (wide ? [note] : note.split('\n').flatMap((line) => wrap(line, COLUMNS)))))
  if (result.models.length === 1) lines.push('', ...renderFigures(result.models[0], wide))

  const gated = result.models.filter((model) => model.gated && !model.userSupplied)
  if (gated.length > 0) {
    const note = `gated on Hugging Face (accept the terms, set HF_TOKEN): ${gated.map((model) => model.id).join(', ')}`
    lines.push(...(wide ? [note] : wrap(note, COLUMNS)))
  }

  if (hardware.unknowns.length > 0) {
    lines.push('', 'Unknown:')
    for (const item of hardware.unknowns) {
      const note = `${item.field}: ${item.reason}`
      lines.push(...(wide ? [`  ${note}`] : wrap(note, COLUMNS - 2).map((line) => `  ${line}`)))
    }
  }

  return lines.join('\n')
}

/** One model's estimated figures next to every figure bench measured on this machine, one quantization a line. */
function renderFigures(model: ModelAdvice, wide: boolean): string[] {
  const r = model.recommendation
  const estimate = `${r.tokensPerSecond === null ? 'generation speed not estimated on a GPU' : `~${formatSpeed(r.tokensPerSecond)} tok/s generation (memory bandwidth / weight bytes)`}, ${formatBytes(r.estimate.totalBytes, 'binary')} memory`
  const rows: Array<[string, string]> = [['estimated', `${r.quant}: ${estimate}`]]
  for (const measured of model.measurements) rows.push(['measured', `${measured.quant}: ${describeMeasurement(measured)}`])
  if (model.measurements.length === 0) rows.push(['measured', `none on this machine: jsl-med bench -m ${r.estimate.source === 'gguf' ? model.file : model.id} (speed), --tasks quality (damage)`])
  const width = 'estimated'.length
  return [`Figures (recommendation ${r.source})`, ...rows.flatMap(([key, value]) => {
    const [first, ...rest] = wide ? [value] : wrap(value, COLUMNS - width - 4)
    return [`  ${key.padEnd(width)}  ${first}`, ...rest.map((line) => `${' '.repeat(width + 4)}${line}`)]
  })]
}

function describeMeasurement(measured: Measurement): string {
  const parts: string[] = []
  const {speed, quality} = measured
  if (speed) {
    const threads = speed.threads === null ? '' : ` at ${speed.threads} ${speed.threads === 1 ? 'thread' : 'threads'}`
    parts.push(`${speed.tg.name} ${formatSpeed(speed.tg.tokensPerSecond)} tok/s, ${speed.pp.name} ${formatSpeed(speed.pp.tokensPerSecond)} tok/s${threads} (${speed.measuredAt.slice(0, 10)})`)
  }

  if (quality) {
    const {kld, top1} = quality
    const percent = (value: number): string => (100 * value).toFixed(1)
    parts.push(
      `KLD ${formatKld(kld.mean)} [${formatKld(kld.low, kld.mean)}–${formatKld(kld.high, kld.mean)}] nats, top-1 ${percent(top1.rate)}% [${percent(top1.low)}–${percent(top1.high)}] vs ${quality.reference.fileType} over ${quality.positions} positions (${quality.measuredAt.slice(0, 10)})`,
    )
  }

  return parts.join('; ')
}

/** Tokens per second: one decimal below 10. */
function formatSpeed(tokensPerSecond: number): string {
  return tokensPerSecond < 10 ? tokensPerSecond.toFixed(1) : String(Math.round(tokensPerSecond))
}

function renderMachine(hardware: HardwareProfile, wide: boolean): string[] {
  const {cpu, memory, os} = hardware
  const measuredOn = memory.bandwidthMeasuredAt ? ` on ${memory.bandwidthMeasuredAt.slice(0, 10)}` : ''
  const bandwidth = memory.bandwidthBytesPerSecond
    ? `, ~${(memory.bandwidthBytesPerSecond / 1e9).toFixed(0)} GB/s ${memory.bandwidthSource === 'measured' ? `copy bandwidth (measured${measuredOn})` : 'bandwidth (assumed)'}`
    : ''
  const rows: string[][] = [
    ['CPU', `${cpu.model ?? 'unknown model'} (${os.arch}), ${cpu.physicalCores} physical / ${cpu.logicalCores} logical cores, SIMD: ${cpu.simd.join(' ') || 'none found'}`],
    ['RAM', `${formatBytes(memory.totalBytes, 'binary')} total, ${formatBytes(memory.availableBytes, 'binary')} available${bandwidth}${memory.unified ? ', unified with the GPU' : ''}`],
  ]
  if (hardware.gpus.length === 0) rows.push(['GPU', 'none found'])
  for (const gpu of hardware.gpus) {
    const vram = gpu.vramTotalBytes ? `${formatBytes(gpu.vramTotalBytes, 'binary')} VRAM${gpu.vramFreeBytes === null ? '' : ` (${formatBytes(gpu.vramFreeBytes, 'binary')} free)`}` : 'VRAM unknown'
    rows.push(['GPU', `${gpu.name}${gpu.vendor ? ` [${gpu.vendor}]` : ''}, ${vram}, ${gpu.backend ? `used by llama.cpp via ${BACKEND_NAMES[gpu.backend]}` : 'not usable by llama.cpp'}`])
  }

  const {backend} = hardware
  const label = BACKEND_NAMES[backend.name] ?? backend.name.toUpperCase()
  rows.push(['BACKEND', `${label}: ${backend.reason.message}${backend.llamaCppRelease ? ` (llama.cpp ${backend.llamaCppRelease})` : ''}`])
  if (backend.binary) rows.push(['LLAMA.CPP', describeBinary(backend.binary, backend.name === 'cpu' || backend.name === 'unknown')])
  rows.push(['OS', `${os.distro ?? os.platform} (${os.platform} ${os.arch}${os.release ? `, ${os.release}` : ''})`])
  const width = Math.max(...rows.map(([key]) => key.length))
  return rows.flatMap(([key, value]) => {
    const [first, ...rest] = wide ? [value] : wrap(value, COLUMNS - width - 2)
    return [`${key.padEnd(width)}  ${first}`, ...rest.map((line) => `${' '.repeat(width + 2)}${line}`)]
  })
}

/** Breaks text into lines of at most `width` characters at spaces (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else {
      line = line ? `${line} ${word}` : word
    }
  }

  return [...lines, line]
}

/** `native, OpenMP`, or the prebuilt with the step that makes the native build (worth it on the CPU). */
function describeBinary(binary: NonNullable<HardwareProfile['backend']['binary']>, onCpu: boolean): string {
  const override = binary.choice === 'auto' ? '' : ` (JSL_MED_LLAMA_BINARY=${binary.choice})`
  if (binary.kind === null) return `none: JSL_MED_LLAMA_BINARY=native, but there is no native build — run npm run build:native`
  const openmp = binary.openmp === null ? 'OpenMP unknown' : binary.openmp ? 'OpenMP' : 'no OpenMP'
  let advice = ''
  const comparison = binary.comparison
  if (binary.kind === 'prebuilt' && binary.choice === 'auto' && comparison?.preferred === 'prebuilt') {
    const figures = (side: {pp: number; tg: number}): string => `pp ${side.pp.toFixed(0)}, tg ${side.tg.toFixed(0)} t/s`
    advice = `; the native build is there but ran slower here (${figures(comparison.native)} vs ${figures(comparison.prebuilt)}, ${comparison.model}), JSL_MED_LLAMA_BINARY=native to use it anyway`
  } else if (binary.kind === 'prebuilt' && !binary.openmp && onCpu) {
    advice = binary.nativeBuilt ? '; a native OpenMP build is there, unset JSL_MED_LLAMA_BINARY to use it' : ' — run npm run build:native for full speed on a busy machine'
  } else if (binary.kind === 'native' && binary.openmp === false) {
    advice = ' — install libgomp and run npm run build:native -- --force'
  }

  return `${binary.kind}, ${openmp}${override}${advice}`
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (column === header.length - 1 ? 0 : row[column].length))))
  const line = (cells: string[]): string => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ').trimEnd()
  return [line(header), ...rows.map(line)]
}
