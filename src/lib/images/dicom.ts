import dicomParser, {type DataSet, type Element} from 'dicom-parser'
import jpeg from 'jpeg-js'

import {InputError} from '../errors/index.js'
import {toRaster, type Raster} from './raster.js'

/**
 * Technical facts about a converted DICOM image: how its pixels were turned into 8 bits. It holds no
 * attribute that identifies a patient, a study or an institution, by construction: only these fields are read.
 */
export interface DicomImageInfo {
  rows: number
  columns: number
  /** Frames in the file; the one converted is `frame`. */
  frames: number
  frame: number
  bitsStored: number
  photometricInterpretation: string
  transferSyntax: string
  /** The VOI window applied (in modality units), and where it came from; absent for color images. */
  window?: {center: number; width: number; source: 'file' | 'pixel-range'; function: 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID'}
  /** Burned In Annotation (0028,0301) is YES: text such as names may be part of the pixels themselves. */
  burnedInAnnotation: boolean
}

/** Options of {@link dicomToRaster}. */
export interface DicomToRasterOptions {
  /** Zero-based frame of a multi-frame file; default 0. */
  frame?: number
}

// Transfer syntaxes whose pixel data we can read: native (uncompressed) ones, and baseline JPEG, which jpeg-js decodes.
const NATIVE_SYNTAXES = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1.99', '1.2.840.10008.1.2.2'])
const BIG_ENDIAN_SYNTAX = '1.2.840.10008.1.2.2'
const JPEG_BASELINE_SYNTAX = '1.2.840.10008.1.2.4.50'
const MAX_PIXELS = 100_000_000

const TAG = {
  transferSyntax: 'x00020010',
  samplesPerPixel: 'x00280002',
  photometric: 'x00280004',
  planarConfiguration: 'x00280006',
  frames: 'x00280008',
  rows: 'x00280010',
  columns: 'x00280011',
  bitsAllocated: 'x00280100',
  bitsStored: 'x00280101',
  highBit: 'x00280102',
  pixelRepresentation: 'x00280103',
  burnedInAnnotation: 'x00280301',
  windowCenter: 'x00281050',
  windowWidth: 'x00281051',
  rescaleIntercept: 'x00281052',
  rescaleSlope: 'x00281053',
  voiLutFunction: 'x00281056',
  pixelData: 'x7fe00010',
} as const

const UNSUPPORTED_HINT = 'Convert it to uncompressed DICOM (e.g. `gdcmconv --raw in.dcm out.dcm` or `dcmdjpeg`), or export a PNG.'

function unreadable(message: string, cause?: unknown): InputError {
  return new InputError(message, {cause, hint: 'Check that the file is a complete DICOM Part 10 file (with the DICM preamble).'}, 'E_IMAGE_UNREADABLE')
}

function unsupported(message: string): InputError {
  return new InputError(message, {hint: UNSUPPORTED_HINT}, 'E_IMAGE_UNSUPPORTED')
}

/**
 * Converts one frame of a DICOM Part 10 file to an 8-bit raster, the way a viewer shows it: stored values →
 * modality values (Rescale Slope/Intercept) → the file's VOI window (Window Center/Width and VOI LUT Function;
 * without one, the frame's value range) → MONOCHROME1 inverted. RGB and YBR_FULL pixels are passed as RGB.
 * Reads native (uncompressed, also deflated and big-endian) and baseline-JPEG pixel data; other compressions
 * are refused with an InputError. Only pixel-describing attributes are read; the returned info has no
 * identifying attribute, so nothing such as Patient Name can travel further.
 */
export function dicomToRaster(bytes: Uint8Array, options: DicomToRasterOptions = {}): {raster: Raster; info: DicomImageInfo} {
  let dataSet: DataSet
  try {
    dataSet = dicomParser.parseDicom(bytes)
  } catch (error) {
    // dicom-parser throws strings as well as Errors; its text is kept as the cause only.
    throw unreadable('the DICOM file cannot be parsed', error instanceof Error ? error : new Error(String(error)))
  }

  const transferSyntax = dataSet.string(TAG.transferSyntax) ?? '1.2.840.10008.1.2'
  const rows = dataSet.uint16(TAG.rows) ?? 0
  const columns = dataSet.uint16(TAG.columns) ?? 0
  const samplesPerPixel = dataSet.uint16(TAG.samplesPerPixel) ?? 1
  const photometric = (dataSet.string(TAG.photometric) ?? (samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2')).toUpperCase()
  const bitsAllocated = dataSet.uint16(TAG.bitsAllocated) ?? 16
  const bitsStored = dataSet.uint16(TAG.bitsStored) ?? bitsAllocated
  const frames = Math.max(1, dataSet.intString(TAG.frames) ?? 1)
  const frame = options.frame ?? 0
  const pixelElement = dataSet.elements[TAG.pixelData]
  if (!pixelElement) throw unsupported('the DICOM file has no image (no Pixel Data): it may be a report or a structured document')
  if (rows === 0 || columns === 0) throw unreadable('the DICOM image has no Rows or Columns')
  if (rows * columns > MAX_PIXELS) throw unsupported(`the DICOM image is too large (${columns}x${rows} pixels)`)
  if (!Number.isInteger(frame) || frame < 0 || frame >= frames) throw unsupported(`frame ${frame} does not exist (the file has ${frames})`)
  const burnedInAnnotation = (dataSet.string(TAG.burnedInAnnotation) ?? '').toUpperCase() === 'YES'
  const facts = {rows, columns, frames, frame, bitsStored, photometricInterpretation: photometric, transferSyntax, burnedInAnnotation}

  const color = samplesPerPixel === 3
  if (color && !['RGB', 'YBR_FULL'].includes(photometric) && transferSyntax !== JPEG_BASELINE_SYNTAX) {
    throw unsupported(`DICOM color model ${photometric} is not supported`)
  }
  if (!color && !['MONOCHROME1', 'MONOCHROME2'].includes(photometric)) throw unsupported(`DICOM color model ${photometric} is not supported`)

  let values: Float64Array
  let rgb: Uint8Array | undefined
  if (transferSyntax === JPEG_BASELINE_SYNTAX) {
    const decoded = decodeJpegFrame(dataSet, pixelElement, frame, frames)
    if (color) rgb = decoded.data
    else values = Float64Array.from({length: rows * columns}, (_, i) => decoded.data[i * 3])
    if (decoded.width !== columns || decoded.height !== rows) throw unreadable('the DICOM JPEG frame does not match Rows/Columns')
  } else if (NATIVE_SYNTAXES.has(transferSyntax)) {
    if (bitsAllocated !== 8 && bitsAllocated !== 16) throw unsupported(`DICOM pixels of ${bitsAllocated} bits are not supported`)
    if (color && bitsAllocated !== 8) throw unsupported('16-bit DICOM color images are not supported')
    const bytesPerSample = bitsAllocated / 8
    const frameBytes = rows * columns * samplesPerPixel * bytesPerSample
    const start = pixelElement.dataOffset + frame * frameBytes
    if (pixelElement.encapsulatedPixelData || start + frameBytes > Math.min(bytes.length, pixelElement.dataOffset + pixelElement.length)) {
      throw unreadable('the DICOM pixel data is shorter than Rows × Columns says (a truncated file?)')
    }
    if (color) {
      rgb = interleave(bytes.subarray(start, start + frameBytes), rows * columns, dataSet.uint16(TAG.planarConfiguration) === 1)
      if (photometric === 'YBR_FULL') ybrToRgb(rgb)
    } else {
      values = readSamples(bytes, start, rows * columns, {
        bitsAllocated,
        bitsStored,
        highBit: dataSet.uint16(TAG.highBit) ?? bitsStored - 1,
        signed: dataSet.uint16(TAG.pixelRepresentation) === 1,
        bigEndian: transferSyntax === BIG_ENDIAN_SYNTAX,
      })
    }
  } else {
    throw unsupported(`DICOM transfer syntax ${transferSyntax} (a compressed encoding) is not supported`)
  }

  if (rgb) return {raster: {width: columns, height: rows, channels: 3, data: rgb}, info: facts}

  const slope = dataSet.floatString(TAG.rescaleSlope) ?? 1
  const intercept = dataSet.floatString(TAG.rescaleIntercept) ?? 0
  for (let i = 0; i < values!.length; i++) values![i] = values![i] * slope + intercept
  const window = chooseWindow(dataSet, values!)
  const gray = applyWindow(values!, window, photometric === 'MONOCHROME1')
  return {raster: toRaster(columns, rows, 1, gray), info: {...facts, window}}
}

function decodeJpegFrame(dataSet: DataSet, element: Element, frame: number, frames: number): {width: number; height: number; data: Uint8Array} {
  let jpegBytes: Uint8Array
  try {
    jpegBytes =
      frames === 1
        ? dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, element, 0, element.fragments?.length)
        : dicomParser.readEncapsulatedImageFrame(dataSet, element, frame, element.basicOffsetTable?.length ? undefined : dicomParser.createJPEGBasicOffsetTable(dataSet, element))
  } catch (error) {
    throw unreadable('the DICOM JPEG pixel data cannot be read', error instanceof Error ? error : new Error(String(error)))
  }

  try {
    return jpeg.decode(jpegBytes, {useTArray: true, formatAsRGBA: false, maxResolutionInMP: MAX_PIXELS / 1e6})
  } catch (error) {
    throw unreadable('the DICOM JPEG pixel data is corrupt', error)
  }
}

function interleave(samples: Uint8Array, pixels: number, planar: boolean): Uint8Array {
  if (!planar) return Uint8Array.from(samples)
  const out = new Uint8Array(pixels * 3)
  for (let i = 0; i < pixels; i++) {
    out[i * 3] = samples[i]
    out[i * 3 + 1] = samples[pixels + i]
    out[i * 3 + 2] = samples[2 * pixels + i]
  }

  return out
}

// YBR_FULL → RGB (PS3.3 C.7.6.3.1.2), in place.
function ybrToRgb(data: Uint8Array): void {
  const clamp = (value: number): number => Math.max(0, Math.min(255, Math.round(value)))
  for (let i = 0; i < data.length; i += 3) {
    const y = data[i]
    const cb = data[i + 1] - 128
    const cr = data[i + 2] - 128
    data[i] = clamp(y + 1.402 * cr)
    data[i + 1] = clamp(y - 0.344136 * cb - 0.714136 * cr)
    data[i + 2] = clamp(y + 1.772 * cb)
  }
}

function readSamples(bytes: Uint8Array, start: number, count: number, layout: {bitsAllocated: number; bitsStored: number; highBit: number; signed: boolean; bigEndian: boolean}): Float64Array {
  const out = new Float64Array(count)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const mask = 2 ** layout.bitsStored - 1
  const signBit = 2 ** (layout.bitsStored - 1)
  const shift = Math.max(0, layout.highBit + 1 - layout.bitsStored)
  for (let i = 0; i < count; i++) {
    const raw = layout.bitsAllocated === 8 ? view.getUint8(start + i) : view.getUint16(start + i * 2, !layout.bigEndian)
    const value = (raw >>> shift) & mask
    out[i] = layout.signed && value >= signBit ? value - 2 * signBit : value
  }

  return out
}

function chooseWindow(dataSet: DataSet, values: Float64Array): NonNullable<DicomImageInfo['window']> {
  const named = (dataSet.string(TAG.voiLutFunction) ?? 'LINEAR').toUpperCase()
  const fn = named === 'LINEAR_EXACT' || named === 'SIGMOID' ? named : 'LINEAR'
  const center = dataSet.floatString(TAG.windowCenter, 0)
  const width = dataSet.floatString(TAG.windowWidth, 0)
  if (center !== undefined && width !== undefined && Number.isFinite(center) && Number.isFinite(width) && width >= 1) {
    return {center, width, source: 'file', function: fn}
  }

  let min = Infinity
  let max = -Infinity
  for (const value of values) {
    if (value < min) min = value
    if (value > max) max = value
  }

  return {center: (min + max) / 2, width: Math.max(1, max - min), source: 'pixel-range', function: 'LINEAR_EXACT'}
}

// The VOI LUT functions of PS3.3 C.11.2.1.2, to an output range of 0..255.
function applyWindow(values: Float64Array, window: NonNullable<DicomImageInfo['window']>, invert: boolean): Uint8Array {
  const {center: c, width: w} = window
  const out = new Uint8Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const x = values[i]
    let y: number
    if (window.function === 'SIGMOID') {
      y = 255 / (1 + Math.exp((-4 * (x - c)) / w))
    } else if (window.function === 'LINEAR_EXACT') {
      y = x <= c - w / 2 ? 0 : x > c + w / 2 ? 255 : ((x - c) / w + 0.5) * 255
    } else {
      y = x <= c - 0.5 - (w - 1) / 2 ? 0 : x > c - 0.5 + (w - 1) / 2 ? 255 : ((x - (c - 0.5)) / Math.max(1, w - 1) + 0.5) * 255
    }

    const level = Math.max(0, Math.min(255, Math.round(y)))
    out[i] = invert ? 255 - level : level
  }

  return out
}
