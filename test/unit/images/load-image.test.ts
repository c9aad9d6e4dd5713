import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {inflateSync} from 'node:zlib'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {decodePng, encodePng, fitWithin, loadImage, prepareImage, sniffImageFormat, toRaster} from '../../../src/lib/images/index.js'
import {drawJpeg, drawPng, makeDicom} from '../../helpers/images.js'

/** The chunk types of a PNG file, in order. */
function chunkTypes(png: Buffer): string[] {
  const types: string[] = []
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at)
    types.push(png.toString('latin1', at + 4, at + 8))
    at += 12 + length
  }

  return types
}

describe('encodePng / decodePng', () => {
  it('round-trips gray and RGB rasters exactly, with no metadata chunks', () => {
    for (const channels of [1, 3] as const) {
      const data = Uint8Array.from({length: 7 * 5 * channels}, (_, i) => (i * 37) % 256)
      const png = encodePng({width: 7, height: 5, channels, data})
      expect(chunkTypes(png)).toEqual(['IHDR', 'IDAT', 'IEND'])
      expect(decodePng(png)).toEqual({width: 7, height: 5, channels, data: channels === 1 ? data : Uint8Array.from(data)})
    }
  })

  it('writes zlib data that inflates to filtered rows', () => {
    const png = encodePng({width: 2, height: 2, channels: 1, data: Uint8Array.from([1, 2, 3, 4])})
    const idat = png.subarray(8 + 25 + 8, png.length - 12 - 4)
    expect([...inflateSync(idat)]).toEqual([0, 1, 2, 2, 2, 2])
  })
})

describe('rasters', () => {
  it('drops alpha like llama.cpp does, and keeps gray as gray', () => {
    expect(toRaster(1, 1, 4, Uint8Array.from([10, 20, 30, 0]))).toEqual({width: 1, height: 1, channels: 3, data: Uint8Array.from([10, 20, 30])})
    expect(toRaster(1, 1, 2, Uint8Array.from([10, 99])).data).toEqual(Uint8Array.from([10]))
  })

  it('shrinks with a box filter to the longer side, and leaves small images alone', () => {
    const data = Uint8Array.from([0, 100, 200, 250, 0, 100, 200, 250])
    const shrunk = fitWithin({width: 4, height: 2, channels: 1, data}, 2)
    expect(shrunk).toEqual({width: 2, height: 1, channels: 1, data: Uint8Array.from([50, 225])})
    const small = {width: 4, height: 2, channels: 1 as const, data}
    expect(fitWithin(small, 4)).toBe(small)
  })
})

describe('prepareImage', () => {
  it('sniffs formats from their signatures, not their names', () => {
    expect(sniffImageFormat(drawJpeg())).toBe('jpeg')
    expect(sniffImageFormat(drawPng())).toBe('png')
    expect(sniffImageFormat(makeDicom())).toBe('dicom')
    expect(sniffImageFormat(Buffer.from('GIF89a'))).toBeUndefined()
  })

  it('re-encodes a JPEG as bare PNG pixels: its comment (metadata) is gone', () => {
    const image = prepareImage(drawJpeg(64, 48, {comment: 'PATIENT SMITH'}))
    expect(image).toMatchObject({width: 64, height: 48, source: {format: 'jpeg', width: 64, height: 48}, warnings: []})
    expect(chunkTypes(image.png)).toEqual(['IHDR', 'IDAT', 'IEND'])
    expect(image.png.includes(Buffer.from('SMITH'))).toBe(false)
  })

  it('drops PNG text chunks and reduces gray RGB to one channel', () => {
    const source = drawPng(40, 30, {gray: true, text: 'PATIENT SMITH'})
    expect(source.includes(Buffer.from('SMITH'))).toBe(true)
    const image = prepareImage(source)
    expect(image.png.includes(Buffer.from('SMITH'))).toBe(false)
    expect(decodePng(image.png)).toMatchObject({width: 40, height: 30, channels: 1})
  })

  it('shrinks large images to maxSidePx, keeping the aspect ratio', () => {
    const image = prepareImage(drawJpeg(400, 100), {maxSidePx: 200})
    expect(image).toMatchObject({width: 200, height: 50, source: {width: 400, height: 100}})
  })

  it('refuses empty files, other formats and corrupt data with input errors (exit 8)', () => {
    expect(() => prepareImage(Buffer.alloc(0))).toThrowError(expect.objectContaining({code: 'E_IMAGE_UNSUPPORTED', exitCode: 8}))
    expect(() => prepareImage(Buffer.from('just some text'))).toThrowError(expect.objectContaining({code: 'E_IMAGE_UNSUPPORTED'}))
    expect(() => prepareImage(drawPng().subarray(0, 60))).toThrowError(expect.objectContaining({code: 'E_IMAGE_UNREADABLE'}))
    expect(() => prepareImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]))).toThrowError(expect.objectContaining({code: 'E_IMAGE_UNREADABLE'}))
  })
})

describe('loadImage', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-images-'))
  })
  afterAll(() => rm(dir, {recursive: true, force: true}))

  it('reads a file', async () => {
    await writeFile(join(dir, 'scan.jpg'), drawJpeg())
    await expect(loadImage(join(dir, 'scan.jpg'))).resolves.toMatchObject({width: 64, height: 48})
  })

  it('names the problem but never the path (file names can carry patient names)', async () => {
    const missing = join(dir, 'Smith_John_chest.jpg')
    const error = await loadImage(missing).catch((error_: unknown) => error_)
    expect(error).toMatchObject({code: 'E_IMAGE_NOT_FOUND', exitCode: 8, hint: expect.any(String)})
    expect((error as Error).message).not.toContain('Smith')
    await expect(loadImage(dir)).rejects.toMatchObject({code: 'E_IMAGE_UNREADABLE'})
  })
})
