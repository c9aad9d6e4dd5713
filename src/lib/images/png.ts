import {deflateSync} from 'node:zlib'

import pngjs from 'pngjs'

import {isGray, toGray, toRaster, type Raster} from './raster.js'

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }

  return table
})()

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(body.length, 0)
  head.write(type, 4, 'latin1')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0)
  return Buffer.concat([head, body, crc])
}

/**
 * Encodes an 8-bit gray or RGB raster as a PNG with no metadata chunks (pixels only). Rows use the `Up`
 * filter and a fast deflate level: images are made to be decoded once, not stored.
 */
export function encodePng(raster: Raster): Buffer {
  const {width, height, channels, data} = raster
  const stride = width * channels
  const filtered = Buffer.alloc((stride + 1) * height)
  for (let y = 0; y < height; y++) {
    const row = y * (stride + 1)
    filtered[row] = y === 0 ? 0 : 2
    for (let x = 0; x < stride; x++) {
      const value = data[y * stride + x]
      filtered[row + 1 + x] = y === 0 ? value : (value - data[(y - 1) * stride + x]) & 0xff
    }
  }

  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 8 // bit depth
  header[9] = channels === 1 ? 0 : 2 // color type: gray or RGB
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(filtered, {level: 3})), chunk('IEND', Buffer.alloc(0))])
}

/**
 * Decodes a PNG of any bit depth, color type or interlacing to an 8-bit raster: gray when every pixel is gray,
 * else RGB. Throws on corrupt data.
 */
export function decodePng(bytes: Buffer): Raster {
  const png = pngjs.PNG.sync.read(bytes)
  // pngjs always hands out 8-bit RGBA (16-bit samples rescaled).
  const raster = toRaster(png.width, png.height, 4, png.data)
  return isGray(raster) ? toGray(raster) : raster
}
