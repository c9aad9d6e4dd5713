import {createEchoEngine} from '../echo/engine.js'
import type {VisionChatRequest, VisionEngine, VisionGeneration} from './types.js'

/**
 * The deterministic stand-in for a vision model: the echo engine's reply (the user's words, or the smallest
 * schema-valid value) with one `<image WxH>` marker per image appended to text replies, so that tests can see
 * which images reached the engine without loading a model.
 */
export function createEchoVisionEngine(): VisionEngine {
  const echo = createEchoEngine()
  return {
    vision: true,
    info: {...echo.info, backend: 'echo'},
    countTokens: echo.countTokens,
    countPromptTokens: echo.countPromptTokens,
    async chat(request: VisionChatRequest): Promise<VisionGeneration> {
      const images = request.images ?? []
      const generation = await echo.chat(request)
      if (request.schema || images.length === 0) return {...generation, images: images.length}
      const markers = images.map((image) => `<image ${describeSize(image.data)}>`).join(' ')
      return {...generation, text: [generation.text, markers].filter(Boolean).join(' '), images: images.length}
    },
    dispose: echo.dispose,
  }
}

// Width and height from a PNG's IHDR chunk; other formats are just "image".
function describeSize(data: Uint8Array): string {
  if (data.length < 24 || data[1] !== 0x50) return '?x?'
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  return `${view.getUint32(16)}x${view.getUint32(20)}`
}
