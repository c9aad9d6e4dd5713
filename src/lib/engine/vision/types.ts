import type {ChatRequest, Engine, EngineInfo, EngineOptions, Generation} from '../types.js'

/** An image for a vision model, as encoded bytes (PNG from `lib/vision`, or JPEG). */
export interface VisionImage {
  data: Uint8Array
  mimeType: 'image/jpeg' | 'image/png'
}

/** A chat turn with images: they are shown to the model before the user's text. */
export interface VisionChatRequest extends ChatRequest {
  images?: readonly VisionImage[]
}

/** A {@link Generation} from a vision engine; `images` says how many images the model saw. */
export interface VisionGeneration extends Generation {
  images: number
}

/** Options of {@link createVisionEngine}. */
export interface VisionEngineOptions extends EngineOptions {
  /** The vision projector (mmproj GGUF) matching `modelPath`; required for `llama`. */
  mmprojPath?: string
  /**
   * The worker script to fork instead of the built-in one (tests use it to simulate crashes and
   * protocol errors). Default: `vision-worker.js` next to this module.
   */
  workerPath?: string
}

/** Facts about a loaded vision engine. */
export interface VisionEngineInfo extends EngineInfo {
  mmprojPath?: string
  /** The inference backend, e.g. `@fugood/llama.node (llama.cpp build 10257)`. */
  backend: string
}

/**
 * An {@link Engine} that also takes images. It runs llama.cpp's multimodal library (mtmd, through
 * `@fugood/llama.node`) in a child process, so that the native library's stdout writes never reach the
 * record stream and a native crash fails records, not the run. Token counting is not available
 * (`countTokens` throws): prompts are checked against the context inside `chat`.
 */
export interface VisionEngine extends Engine {
  readonly vision: true
  readonly info: VisionEngineInfo
  chat(request: VisionChatRequest): Promise<VisionGeneration>
}
