/** An 8-bit image in memory: `channels` interleaved bytes per pixel, rows top to bottom. */
export interface Raster {
  width: number
  height: number
  /** 1 (grayscale) or 3 (RGB). */
  channels: 1 | 3
  data: Uint8Array
}

/**
 * Converts interleaved 8-bit pixels of 1–4 channels to gray or RGB. Alpha is dropped, as llama.cpp's
 * image loader drops it, so that the model sees what it would see from the original file.
 */
export function toRaster(width: number, height: number, channels: number, data: Uint8Array): Raster {
  if (channels === 1 || channels === 3) return {width, height, channels, data}
  const pixels = width * height
  const out = new Uint8Array(pixels * (channels === 2 ? 1 : 3))
  if (channels === 2) {
    for (let i = 0; i < pixels; i++) out[i] = data[i * 2]
    return {width, height, channels: 1, data: out}
  }

  for (let i = 0; i < pixels; i++) {
    out[i * 3] = data[i * channels]
    out[i * 3 + 1] = data[i * channels + 1]
    out[i * 3 + 2] = data[i * channels + 2]
  }

  return {width, height, channels: 3, data: out}
}

/** True when every pixel of an RGB raster has R = G = B. */
export function isGray(raster: Raster): boolean {
  if (raster.channels === 1) return true
  const {data} = raster
  for (let i = 0; i < data.length; i += 3) if (data[i] !== data[i + 1] || data[i] !== data[i + 2]) return false
  return true
}

/** Keeps one channel of a gray RGB raster (a third of the bytes to encode and send). */
export function toGray(raster: Raster): Raster {
  if (raster.channels === 1) return raster
  const out = new Uint8Array(raster.width * raster.height)
  for (let i = 0; i < out.length; i++) out[i] = raster.data[i * 3]
  return {...raster, channels: 1, data: out}
}

/**
 * Shrinks a raster so that its longer side is at most `maxSidePx`, averaging the source pixels each target
 * pixel covers (a box filter: no aliasing, no ringing). Smaller rasters are returned as they are.
 */
export function fitWithin(raster: Raster, maxSidePx: number): Raster {
  const {width, height, channels, data} = raster
  const scale = maxSidePx / Math.max(width, height)
  if (scale >= 1) return raster
  const outWidth = Math.max(1, Math.round(width * scale))
  const outHeight = Math.max(1, Math.round(height * scale))
  const out = new Uint8Array(outWidth * outHeight * channels)
  const sums = new Float64Array(outWidth * channels)
  const counts = new Float64Array(outWidth)
  // Source column → target column, computed once.
  const columnOf = new Uint32Array(width)
  for (let x = 0; x < width; x++) columnOf[x] = Math.min(outWidth - 1, Math.floor((x * outWidth) / width))
  let y = 0
  for (let outY = 0; outY < outHeight; outY++) {
    const yEnd = Math.max(y + 1, Math.round(((outY + 1) * height) / outHeight))
    sums.fill(0)
    counts.fill(0)
    for (; y < yEnd && y < height; y++) {
      const row = y * width * channels
      for (let x = 0; x < width; x++) {
        const target = columnOf[x]
        counts[target]++
        for (let c = 0; c < channels; c++) sums[target * channels + c] += data[row + x * channels + c]
      }
    }

    for (let outX = 0; outX < outWidth; outX++) {
      for (let c = 0; c < channels; c++) {
        out[(outY * outWidth + outX) * channels + c] = Math.round(sums[outX * channels + c] / Math.max(1, counts[outX]))
      }
    }
  }

  return {width: outWidth, height: outHeight, channels, data: out}
}
