import {describe, expect, it} from 'vitest'

import {dicomToRaster, prepareImage} from '../../../src/lib/images/index.js'
import {makeDicom} from '../../helpers/images.js'

const NAME = 'SECRET^PATIENT^NAME'

describe('dicomToRaster', () => {
  it('applies rescale slope/intercept and the file window (VOI LINEAR) to signed 16-bit pixels', () => {
    // Stored values -1024..; HU = stored * 1 + 0 with a window of 40/400: -160 → 0, 240 → 255, 40 → mid-gray.
    const values = [-1024, -160, 40, 240, 1000]
    const bytes = makeDicom({rows: 1, columns: 5, signed: true, bitsStored: 16, pixel: (x) => values[x], window: {center: 40, width: 400}})
    const {raster, info} = dicomToRaster(bytes)
    expect(raster).toMatchObject({width: 5, height: 1, channels: 1})
    expect([...raster.data]).toEqual([0, 0, 128, 255, 255])
    expect(info.window).toEqual({center: 40, width: 400, source: 'file', function: 'LINEAR'})
  })

  it('uses rescale slope and intercept before the window', () => {
    // Stored 0..4 with slope 100 and intercept -200 → -200, -100, 0, 100, 200 HU; window 0/401 spans -200..200.
    const bytes = makeDicom({rows: 1, columns: 5, pixel: (x) => x, slope: 100, intercept: -200, window: {center: 0, width: 401}})
    const {raster} = dicomToRaster(bytes)
    expect([...raster.data]).toEqual([0, 64, 128, 192, 255])
  })

  it('windows to the pixel range when the file has no window, and inverts MONOCHROME1', () => {
    const ramp = (x: number): number => x * 1000
    const plain = dicomToRaster(makeDicom({rows: 1, columns: 5, pixel: ramp, window: null}))
    expect(plain.info.window?.source).toBe('pixel-range')
    expect(plain.raster.data[0]).toBe(0)
    expect(plain.raster.data[4]).toBe(255)
    const inverted = dicomToRaster(makeDicom({rows: 1, columns: 5, pixel: ramp, window: null, photometric: 'MONOCHROME1'}))
    expect([...inverted.raster.data]).toEqual([...plain.raster.data].map((v) => 255 - v))
  })

  it('reads implicit VR little endian files', () => {
    const {raster} = dicomToRaster(makeDicom({encoding: 'implicit', rows: 8, columns: 6}))
    expect(raster).toMatchObject({width: 6, height: 8, channels: 1})
  })

  it('reads 8-bit RGB files as colour', () => {
    const bytes = makeDicom({photometric: 'RGB', rows: 2, columns: 2, pixel: (x, y, c) => [200, 100, 50][c] + x + y})
    const {raster} = dicomToRaster(bytes)
    expect(raster.channels).toBe(3)
    expect([...raster.data.subarray(0, 3)]).toEqual([200, 100, 50])
  })

  it('decodes baseline-JPEG pixel data', () => {
    const {raster, info} = dicomToRaster(makeDicom({encoding: 'jpeg', rows: 16, columns: 16, pixel: (x) => x * 16, window: null}))
    expect(raster).toMatchObject({width: 16, height: 16, channels: 1})
    expect(info.transferSyntax).toBe('1.2.840.10008.1.2.4.50')
    expect(raster.data[15]).toBeGreaterThan(raster.data[0])
  })

  it('refuses compressed encodings it cannot decode, with a hint to convert', () => {
    const bytes = makeDicom({transferSyntaxUid: '1.2.840.10008.1.2.4.90'})
    expect(() => dicomToRaster(bytes)).toThrowError(expect.objectContaining({code: 'E_IMAGE_UNSUPPORTED', exitCode: 8, hint: expect.stringMatching(/gdcmconv|dcmdjpeg/)}))
  })

  it('reports truncated pixel data and unparseable files as unreadable', () => {
    expect(() => dicomToRaster(makeDicom({truncatePixels: true}))).toThrowError(expect.objectContaining({code: 'E_IMAGE_UNREADABLE'}))
    const garbage = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from([2, 0, 16, 0, 0x55, 0x49, 0xff, 0xff])])
    expect(() => dicomToRaster(garbage)).toThrowError(expect.objectContaining({code: 'E_IMAGE_UNREADABLE'}))
  })

  it('never carries identifying attributes: not in the info, not in the re-encoded pixels', () => {
    const bytes = makeDicom({patientName: NAME, patientId: 'MRN-98765'})
    expect(bytes.includes(Buffer.from(NAME))).toBe(true)
    const {info} = dicomToRaster(bytes)
    const prepared = prepareImage(bytes)
    for (const secret of [NAME, 'SECRET', 'MRN-98765']) {
      expect(JSON.stringify(info)).not.toContain(secret)
      expect(JSON.stringify({...prepared, png: undefined})).not.toContain(secret)
      expect(prepared.png.includes(Buffer.from(secret))).toBe(false)
    }
  })

  it('warns about burned-in annotations, without their content', () => {
    const prepared = prepareImage(makeDicom({burnedInAnnotation: true, patientName: NAME}))
    expect(prepared.warnings).toEqual([expect.stringMatching(/burned-in/)])
    expect(prepared.warnings.join(' ')).not.toContain('SECRET')
  })
})
