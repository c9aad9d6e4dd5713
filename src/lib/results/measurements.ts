import type {MeasuredQuality, MeasuredSpeed, Measurement} from '../advisor/index.js'

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

/**
 * The newest figures for each of the given model files, from a machine's history: the newest speed record and
 * the newest quality record whose `model.sha256` is the file's (newest by timestamp, later lines winning ties).
 * Records are read as unknown and checked field by field, so that lines of other kinds or versions are passed
 * over. Records of a model run with LoRA adapters measure the adapter, and speed records at a context depth
 * (`settings.depth` > 0) measure a long prompt, not the default pp/tg: both are left out. Files without any
 * figure are absent from the map.
 */
export function selectMeasurements(records: readonly unknown[], sha256s: Iterable<string>): Map<string, Measurement> {
  const wanted = new Set(sha256s)
  const newest = new Map<string, {speed?: {at: string; value: MeasuredSpeed}; quality?: {at: string; value: MeasuredQuality}}>()
  for (const record of records) {
    if (!isObject(record) || !isObject(record.model) || typeof record.timestamp !== 'string') continue
    const sha256 = record.model.sha256
    if (typeof sha256 !== 'string' || !wanted.has(sha256)) continue
    if (Array.isArray(record.lora) && record.lora.length > 0) continue
    const entry = newest.get(sha256) ?? {}
    const at = record.timestamp
    const speed = record.kind === 'speed' ? speedOf(record) : undefined
    if (speed && !(entry.speed && entry.speed.at > at)) entry.speed = {at, value: speed}
    const quality = record.kind === 'quality' ? qualityOf(record) : undefined
    if (quality && !(entry.quality && entry.quality.at > at)) entry.quality = {at, value: quality}
    if (entry.speed || entry.quality) newest.set(sha256, entry)
  }

  const measurements = new Map<string, Measurement>()
  for (const [sha256, entry] of newest) measurements.set(sha256, {sha256, speed: entry.speed?.value ?? null, quality: entry.quality?.value ?? null})
  return measurements
}

function speedOf(record: Json): MeasuredSpeed | undefined {
  const {speed, settings} = record
  if (!isObject(speed) || typeof record.runId !== 'string') return undefined
  if (isObject(settings) && isNumber(settings.depth) && settings.depth > 0) return undefined
  const test = (value: unknown): {name: string; tokensPerSecond: number} | undefined => {
    if (!isObject(value) || typeof value.name !== 'string' || value.name.includes('@')) return undefined
    const mean = isObject(value.tokensPerSecond) ? value.tokensPerSecond.mean : undefined
    return isNumber(mean) && mean >= 0 ? {name: value.name, tokensPerSecond: mean} : undefined
  }

  const pp = test(speed.pp)
  const tg = test(speed.tg)
  if (!pp || !tg) return undefined
  const threads = isObject(settings) && isNumber(settings.threads) ? settings.threads : isObject(record.hardware) && isNumber(record.hardware.threads) ? record.hardware.threads : null
  return {pp, tg, threads, measuredAt: record.timestamp as string, runId: record.runId}
}

function qualityOf(record: Json): MeasuredQuality | undefined {
  const {quality} = record
  if (!isObject(quality) || typeof record.runId !== 'string') return undefined
  const {reference, kld, top1, positions} = quality
  if (!isObject(reference) || typeof reference.id !== 'string' || typeof reference.sha256 !== 'string' || typeof reference.fileType !== 'string') return undefined
  if (!isObject(kld) || !isNumber(kld.mean) || !isNumber(kld.low) || !isNumber(kld.high)) return undefined
  if (!isObject(top1) || !isNumber(top1.rate) || !isNumber(top1.low) || !isNumber(top1.high)) return undefined
  if (!isNumber(positions)) return undefined
  return {
    reference: {id: reference.id, sha256: reference.sha256, fileType: reference.fileType},
    positions,
    kld: {mean: kld.mean, low: kld.low, high: kld.high},
    top1: {rate: top1.rate, low: top1.low, high: top1.high},
    measuredAt: record.timestamp as string,
    runId: record.runId,
  }
}
