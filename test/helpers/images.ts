import {writeFile} from 'node:fs/promises'

import jpeg from 'jpeg-js'
import pngjs from 'pngjs'

/** A gray-level test picture: a bright disc ("lung field") on a gradient, so that pixels vary in both axes. */
function pattern(width: number, height: number): (x: number, y: number) => number {
  return (x, y) => {
    const dx = (x - width / 2) / (width / 3)
    const dy = (y - height / 2) / (height / 3)
    const disc = dx * dx + dy * dy < 1 ? 120 : 0
    return Math.min(255, Math.round((x / Math.max(1, width - 1)) * 100 + (y / Math.max(1, height - 1)) * 30 + disc))
  }
}

/** Draws a colour JPEG with a real encoder (jpeg-js); `comment` is stored in a COM segment (metadata). */
export function drawJpeg(width = 64, height = 48, options: {quality?: number; comment?: string} = {}): Buffer {
  const value = pattern(width, height)
  const data = Buffer.alloc(width * height * 4)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4
      data[i] = value(x, y)
      data[i + 1] = Math.max(0, value(x, y) - 20)
      data[i + 2] = (x * 3) % 256
      data[i + 3] = 255
    }
  }

  return jpeg.encode({data, width, height, ...(options.comment ? {comments: [options.comment]} : {})}, options.quality ?? 90).data
}

/** Draws a PNG with pngjs (an encoder independent of jsl-med's own); `text` is stored in a tEXt chunk (metadata). */
export function drawPng(width = 40, height = 30, options: {gray?: boolean; text?: string; alpha?: number} = {}): Buffer {
  const value = pattern(width, height)
  const png = new pngjs.PNG({width, height})
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4
      const v = value(x, y)
      png.data[i] = v
      png.data[i + 1] = options.gray ? v : (v + 60) % 256
      png.data[i + 2] = options.gray ? v : (x * 5) % 256
      png.data[i + 3] = options.alpha ?? 255
    }
  }

  const bytes = pngjs.PNG.sync.write(png)
  if (!options.text) return bytes
  // Insert a tEXt chunk right after IHDR (8-byte signature + 25-byte IHDR chunk).
  const body = Buffer.from(`Comment\0${options.text}`, 'latin1')
  const chunk = Buffer.alloc(12 + body.length)
  chunk.writeUInt32BE(body.length, 0)
  chunk.write('tEXt', 4, 'latin1')
  body.copy(chunk, 8)
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + body.length)), 8 + body.length)
  return Buffer.concat([bytes.subarray(0, 33), chunk, bytes.subarray(33)])
}

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (const byte of bytes) {
    c ^= byte
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  }

  return (c ^ 0xffffffff) >>> 0
}

/** What {@link makeDicom} writes. Defaults describe a small 12-bit CT-like slice. */
export interface DicomSpec {
  rows?: number
  columns?: number
  /** Patient Name (0010,0010); the identifying value tests look for. */
  patientName?: string
  patientId?: string
  /** Transfer syntax: explicit or implicit VR little endian, or baseline JPEG (8-bit). Default explicit. */
  encoding?: 'explicit' | 'implicit' | 'jpeg'
  photometric?: 'MONOCHROME1' | 'MONOCHROME2' | 'RGB'
  bitsAllocated?: 8 | 16
  bitsStored?: number
  signed?: boolean
  slope?: number
  intercept?: number
  /** Window Center/Width; `null` leaves them out. Default 40/400 (a CT soft-tissue window). */
  window?: {center: number; width: number} | null
  burnedInAnnotation?: boolean
  /** Stored value of each pixel (RGB images: one value per sample, channel `c`). */
  pixel?: (x: number, y: number, c: number) => number
  /** Cut the pixel data short (a truncated file). */
  truncatePixels?: boolean
  /** Override the transfer syntax UID (e.g. JPEG 2000's) without changing the encoding. */
  transferSyntaxUid?: string
}

const SYNTAX = {explicit: '1.2.840.10008.1.2.1', implicit: '1.2.840.10008.1.2', jpeg: '1.2.840.10008.1.2.4.50'}
const LONG_VRS = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN'])

function element(group: number, elementId: number, vr: string, value: Buffer, explicit: boolean): Buffer {
  const padded = value.length % 2 === 0 ? value : Buffer.concat([value, Buffer.from([vr === 'UI' || vr === 'OB' ? 0 : 0x20])])
  const tag = Buffer.alloc(4)
  tag.writeUInt16LE(group, 0)
  tag.writeUInt16LE(elementId, 2)
  if (!explicit) {
    const length = Buffer.alloc(4)
    length.writeUInt32LE(padded.length, 0)
    return Buffer.concat([tag, length, padded])
  }

  if (LONG_VRS.has(vr)) {
    const head = Buffer.alloc(8)
    head.write(vr, 0, 'latin1')
    head.writeUInt32LE(padded.length, 4)
    return Buffer.concat([tag, head, padded])
  }

  const head = Buffer.alloc(4)
  head.write(vr, 0, 'latin1')
  head.writeUInt16LE(padded.length, 2)
  return Buffer.concat([tag, head, padded])
}

const us = (value: number): Buffer => {
  const buffer = Buffer.alloc(2)
  buffer.writeUInt16LE(value, 0)
  return buffer
}

const text = (value: string): Buffer => Buffer.from(value, 'latin1')

/**
 * Writes a DICOM Part 10 file byte by byte (preamble, DICM, file meta in explicit VR, then the data set), with
 * identifying attributes (Patient Name, Patient ID) next to the image, as real files have them.
 */
export function makeDicom(spec: DicomSpec = {}): Buffer {
  const rows = spec.rows ?? 32
  const columns = spec.columns ?? 32
  const encoding = spec.encoding ?? 'explicit'
  const photometric = spec.photometric ?? 'MONOCHROME2'
  const samples = photometric === 'RGB' ? 3 : 1
  const bitsAllocated = encoding === 'jpeg' || samples === 3 ? 8 : (spec.bitsAllocated ?? 16)
  const bitsStored = spec.bitsStored ?? (bitsAllocated === 8 ? 8 : 12)
  const pixel = spec.pixel ?? ((x, y) => Math.round((x / Math.max(1, columns - 1)) * (2 ** bitsStored - 1) * 0.9 + y))
  const explicit = encoding !== 'implicit'
  const el = (group: number, id: number, vr: string, value: Buffer) => element(group, id, vr, value, explicit)

  let pixelData: Buffer
  if (encoding === 'jpeg') {
    const rgba = Buffer.alloc(rows * columns * 4)
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < columns; x++) {
        const v = pixel(x, y, 0) & 0xff
        rgba.set([v, v, v, 255], (y * columns + x) * 4)
      }
    }

    const frame = jpeg.encode({data: rgba, width: columns, height: rows}, 95).data
    const fragment = frame.length % 2 === 0 ? frame : Buffer.concat([frame, Buffer.from([0])])
    const item = (body: Buffer) => {
      const head = Buffer.alloc(8)
      head.writeUInt16LE(0xfffe, 0)
      head.writeUInt16LE(0xe000, 2)
      head.writeUInt32LE(body.length, 4)
      return Buffer.concat([head, body])
    }

    const head = Buffer.alloc(12)
    head.writeUInt16LE(0x7fe0, 0)
    head.writeUInt16LE(0x0010, 2)
    head.write('OB', 4, 'latin1')
    head.writeUInt32LE(0xffffffff, 8)
    const end = Buffer.alloc(8)
    end.writeUInt16LE(0xfffe, 0)
    end.writeUInt16LE(0xe0dd, 2)
    pixelData = Buffer.concat([head, item(Buffer.alloc(0)), item(fragment), end])
  } else {
    const bytesPerSample = bitsAllocated / 8
    const raw = Buffer.alloc(rows * columns * samples * bytesPerSample)
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < columns; x++) {
        for (let c = 0; c < samples; c++) {
          const at = ((y * columns + x) * samples + c) * bytesPerSample
          const value = pixel(x, y, c)
          if (bytesPerSample === 1) raw.writeUInt8(value & 0xff, at)
          else raw.writeUInt16LE(value & 0xffff, at)
        }
      }
    }

    const body = spec.truncatePixels ? raw.subarray(0, raw.length / 2) : raw
    const value = el(0x7fe0, 0x0010, bitsAllocated === 8 ? 'OB' : 'OW', raw)
    // A truncated file: the header promises all pixels, the file ends halfway through them.
    pixelData = spec.truncatePixels ? value.subarray(0, value.length - raw.length + body.length) : value
  }

  const dataSet = [
    el(0x0008, 0x0016, 'UI', text('1.2.840.10008.5.1.4.1.1.2')),
    el(0x0008, 0x0018, 'UI', text('1.2.826.0.1.3680043.2.1125.1')),
    el(0x0008, 0x0060, 'CS', text('CT')),
    el(0x0010, 0x0010, 'PN', text(spec.patientName ?? 'DOE^JANE')),
    el(0x0010, 0x0020, 'LO', text(spec.patientId ?? 'MRN-0001')),
    el(0x0028, 0x0002, 'US', us(samples)),
    el(0x0028, 0x0004, 'CS', text(photometric)),
    ...(samples === 3 ? [el(0x0028, 0x0006, 'US', us(0))] : []),
    el(0x0028, 0x0010, 'US', us(rows)),
    el(0x0028, 0x0011, 'US', us(columns)),
    el(0x0028, 0x0100, 'US', us(bitsAllocated)),
    el(0x0028, 0x0101, 'US', us(bitsStored)),
    el(0x0028, 0x0102, 'US', us(bitsStored - 1)),
    el(0x0028, 0x0103, 'US', us(spec.signed ? 1 : 0)),
    ...(spec.burnedInAnnotation ? [el(0x0028, 0x0301, 'CS', text('YES'))] : []),
    ...(spec.window === null || samples === 3 ? [] : [el(0x0028, 0x1050, 'DS', text(String((spec.window ?? {center: 40}).center))), el(0x0028, 0x1051, 'DS', text(String((spec.window ?? {width: 400}).width)))]),
    ...(spec.intercept === undefined ? [] : [el(0x0028, 0x1052, 'DS', text(String(spec.intercept)))]),
    ...(spec.slope === undefined ? [] : [el(0x0028, 0x1053, 'DS', text(String(spec.slope)))]),
    pixelData,
  ]

  const metaElements = [
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1]), true),
    element(0x0002, 0x0002, 'UI', text('1.2.840.10008.5.1.4.1.1.2'), true),
    element(0x0002, 0x0003, 'UI', text('1.2.826.0.1.3680043.2.1125.1'), true),
    element(0x0002, 0x0010, 'UI', text(spec.transferSyntaxUid ?? SYNTAX[encoding]), true),
  ]
  const metaLength = metaElements.reduce((sum, buffer) => sum + buffer.length, 0)
  const groupLength = Buffer.alloc(4)
  groupLength.writeUInt32LE(metaLength, 0)
  return Buffer.concat([Buffer.alloc(128), text('DICM'), element(0x0002, 0x0000, 'UL', groupLength, true), ...metaElements, ...dataSet])
}

/** Writes {@link makeDicom}'s bytes to `path`. */
export async function writeDicom(path: string, spec: DicomSpec = {}): Promise<string> {
  await writeFile(path, makeDicom(spec))
  return path
}
