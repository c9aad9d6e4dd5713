import {readFile, stat} from 'node:fs/promises'

import jpeg from 'jpeg-js'

import {InputError} from '../errors/index.js'
import {dicomToRaster, type DicomImageInfo} from './dicom.js'
import {decodePng, encodePng} from './png.js'
import {fitWithin, isGray, toGray, type Raster} from './raster.js'

/** The image formats jsl-med reads. */
export type ImageFormat = 'dicom' | 'jpeg' | 'png'

/**
 * An image ready for a vision model: freshly encoded PNG pixels and nothing else (no EXIF, no text chunks,
 * no DICOM attributes), so that only pixel data can reach the model.
 */
export interface PreparedImage {
  /** PNG bytes: 8-bit gray or RGB, no metadata chunks. */
  png: Buffer
  width: number
  height: number
  /** What the file was. */
  source: {format: ImageFormat; width: number; height: number; sizeBytes: number; dicom?: DicomImageInfo}
  /** Things the user should know (e.g. burned-in annotations); never patient data. */
  warnings: string[]
}

/** Options of {@link loadImage} and {@link prepareImage}. */
export interface PrepareImageOptions {
  /** Longer side in pixels beyond which the image is shrunk (vision encoders downscale anyway); default 2048. */
  maxSidePx?: number
  /** Frame of a multi-frame DICOM file; default 0. */
  frame?: number
}

/** Files larger than this are refused before they are read. */
export const MAX_IMAGE_FILE_BYTES = 1024 * 1024 * 1024

const DEFAULT_MAX_SIDE_PX = 2048
const FORMATS_HINT = 'jsl-med reads PNG, JPEG and DICOM (Part 10, uncompressed or baseline JPEG) images.'

/** Tells the format from the first bytes: PNG and JPEG signatures, or the DICOM Part 10 `DICM` marker at 128. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png'
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg'
  if (bytes.length >= 132 && Buffer.from(bytes.subarray(128, 132)).toString('latin1') === 'DICM') return 'dicom'
  return undefined
}

/**
 * Reads an image file and prepares it for a vision model (see {@link prepareImage}). Errors are InputErrors
 * that never quote the path, since file names may carry patient names: `E_IMAGE_NOT_FOUND`,
 * `E_IMAGE_UNREADABLE` (permissions, a directory, corrupt or truncated data), `E_IMAGE_UNSUPPORTED`
 * (another format, a compressed DICOM encoding, too large).
 */
export async function loadImage(path: string, options: PrepareImageOptions = {}): Promise<PreparedImage> {
  let bytes: Buffer
  try {
    const stats = await stat(path)
    if (stats.isDirectory()) throw new InputError('the image path is a directory', {hint: 'Give the path of an image file.'}, 'E_IMAGE_UNREADABLE')
    if (stats.size > MAX_IMAGE_FILE_BYTES) {
      throw new InputError(`the image file is too large (${stats.size} bytes)`, {hint: `Images up to ${MAX_IMAGE_FILE_BYTES} bytes are read.`}, 'E_IMAGE_UNSUPPORTED')
    }

    bytes = await readFile(path)
  } catch (error) {
    if (error instanceof InputError) throw error
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new InputError('image file not found', {cause: error, hint: 'Check the image path; relative paths are resolved against the current directory, or --image-dir.'}, 'E_IMAGE_NOT_FOUND')
    }

    throw new InputError(`cannot read the image file (${code ?? 'unknown error'})`, {cause: error, hint: 'Check the file permissions.'}, 'E_IMAGE_UNREADABLE')
  }

  return prepareImage(bytes, options)
}

/**
 * Decodes PNG, JPEG or DICOM bytes and re-encodes the pixels as a metadata-free PNG, shrunk to
 * `maxSidePx` and reduced to one channel when gray. Decoding everything here, in JavaScript, means that
 * llama.cpp only ever receives images it can decode (its decoder aborts the process on some bad input).
 */
export function prepareImage(bytes: Uint8Array, options: PrepareImageOptions = {}): PreparedImage {
  const format = sniffImageFormat(bytes)
  if (!format) {
    const message = bytes.length === 0 ? 'the image file is empty' : 'the file is not a PNG, JPEG or DICOM image'
    throw new InputError(message, {hint: FORMATS_HINT}, 'E_IMAGE_UNSUPPORTED')
  }

  const warnings: string[] = []
  let raster: Raster
  let dicom: DicomImageInfo | undefined
  if (format === 'dicom') {
    ;({raster, info: dicom} = dicomToRaster(bytes, {frame: options.frame}))
    if (dicom.frames > 1) warnings.push(`the DICOM file has ${dicom.frames} frames; frame ${dicom.frame} is used`)
    if (dicom.burnedInAnnotation) warnings.push('the DICOM file declares burned-in annotations: text in the pixels (possibly identifying) reaches the model')
  } else {
    raster = decode(format, bytes)
  }

  const source = {format, width: raster.width, height: raster.height, sizeBytes: bytes.length, ...(dicom ? {dicom} : {})}
  raster = fitWithin(raster, options.maxSidePx ?? DEFAULT_MAX_SIDE_PX)
  if (raster.channels === 3 && isGray(raster)) raster = toGray(raster)
  return {png: encodePng(raster), width: raster.width, height: raster.height, source, warnings}
}

function decode(format: 'jpeg' | 'png', bytes: Uint8Array): Raster {
  try {
    if (format === 'png') return decodePng(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    const image = jpeg.decode(bytes, {useTArray: true, formatAsRGBA: false, maxResolutionInMP: 100, maxMemoryUsageInMB: 1024})
    return {width: image.width, height: image.height, channels: 3, data: image.data}
  } catch (error) {
    // The decoders' messages describe the data, never the file name; keep them as the cause only.
    throw new InputError(`the ${format.toUpperCase()} image is corrupt or truncated`, {cause: error, hint: 'Open it in an image viewer, or export it again.'}, 'E_IMAGE_UNREADABLE')
  }
}
