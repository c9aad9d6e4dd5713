import {readdir} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import {resolveModel} from '../store/index.js'

const PROJECTOR_FILE = /mmproj.*\.gguf$/i

/**
 * Finds the vision projector published next to a model, as llama.cpp and Hugging Face repositories lay them out:
 * the one `*mmproj*.gguf` file in the model's directory, or, among several, the one whose name shares the model
 * file's stem (`medgemma-4b-it-Q4_K_M.gguf` → `mmproj-medgemma-4b-it-F16.gguf`). Undefined when there is none or
 * the choice is ambiguous. This is the seam where a catalog or model store can later name the pair instead.
 */
export async function findProjectorNextTo(modelPath: string): Promise<string | undefined> {
  let names: string[]
  try {
    names = (await readdir(dirname(modelPath))).filter((name) => PROJECTOR_FILE.test(name) && name !== basename(modelPath))
  } catch {
    // A missing directory is reported when the model itself is validated.
    return undefined
  }

  if (names.length === 1) return join(dirname(modelPath), names[0])
  const stem = basename(modelPath).replace(/[-_.](?:i?q\d.*|f16|bf16|f32)?\.gguf$/i, '').toLowerCase()
  const matching = names.filter((name) => stem.length > 0 && name.toLowerCase().includes(stem))
  return matching.length === 1 ? join(dirname(modelPath), matching[0]) : undefined
}

/**
 * The vision projector of a model, for `vlm`: the one given (`--mmproj`), else the one installed with the model
 * (`jsl-med pull`), else the one published next to its file. Undefined when there is none (the engine then says so).
 */
export async function resolveProjector(options: {given?: string; model?: string; modelPath?: string}): Promise<string | undefined> {
  if (options.given) return options.given
  const installed = options.model ? (await resolveModel(options.model)).mmprojPath : undefined
  return installed ?? (options.modelPath ? await findProjectorNextTo(options.modelPath) : undefined)
}
