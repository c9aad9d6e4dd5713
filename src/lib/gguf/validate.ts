import {open, stat} from 'node:fs/promises'

import {EngineError, ModelNotFoundError, UsageError} from '../errors/index.js'
import {readGgufHeader, type GgufTensorInfo} from './read-header.js'

/** Bytes per block and elements per block of the ggml types common in GGUF files (ggml.c's type traits). */
const BLOCK_LAYOUT: Record<number, [bytes: number, elements: number]> = {
  0: [4, 1], // F32
  1: [2, 1], // F16
  2: [18, 32], // Q4_0
  3: [20, 32], // Q4_1
  6: [22, 32], // Q5_0
  7: [24, 32], // Q5_1
  8: [34, 32], // Q8_0
  10: [84, 256], // Q2_K
  11: [110, 256], // Q3_K
  12: [144, 256], // Q4_K
  13: [176, 256], // Q5_K
  14: [210, 256], // Q6_K
  15: [292, 256], // Q8_K
  30: [2, 1], // BF16
}

const NOT_GGUF_HINT = 'Pass a GGUF model file (llama.cpp format); `jsl-med synth model.gguf` writes a synthetic one to try.'

/** The error for a directory given where a model file is expected (`--model`, `pull`): a usage error (exit 2). */
export function directoryModelError(path: string): UsageError {
  const dir = path.replace(/\/+$/, '') || '/'
  return new UsageError(`${path} is a directory, not a GGUF model file`, {hint: `Pass the .gguf file in it (ls ${dir}/*.gguf).`}, 'E_MODEL_IS_DIR')
}

/**
 * Checks a model file before llama.cpp sees it, so that a missing, foreign, corrupt or truncated file
 * becomes a clear error instead of a native crash: it must exist, start with the GGUF magic, have a
 * header that parses, and be long enough for every tensor the header declares.
 */
export async function validateGgufFile(path: string): Promise<void> {
  const stats = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') {
      throw new ModelNotFoundError(`Model file not found: ${path}`, {hint: 'Check the path given to --model; `jsl-med synth model.gguf` writes a synthetic model to try.'})
    }

    throw new ModelNotFoundError(`Cannot read model file ${path}: ${error.code}`, {cause: error, hint: 'Check the file permissions.'})
  })
  if (stats.isDirectory()) throw directoryModelError(path)

  const handle = await open(path, 'r')
  let tensors: GgufTensorInfo[]
  try {
    const magic = Buffer.alloc(4)
    await handle.read(magic, 0, 4, 0)
    if (magic.toString('latin1') !== 'GGUF') {
      throw new EngineError(`${path} is not a GGUF model file`, {hint: NOT_GGUF_HINT}, 'E_MODEL_INVALID')
    }

    tensors = await readGgufHeader(handle, stats.size).then(
      (header) => header.tensors,
      (error: unknown) => {
        throw new EngineError(`${path} has a corrupt GGUF header: ${(error as Error).message.slice(0, 200)}`, {cause: error, hint: 'Download or convert the model again.'}, 'E_MODEL_INVALID')
      },
    )
  } finally {
    await handle.close()
  }

  const needed = tensorDataEnd(tensors)
  if (needed > stats.size) {
    throw new EngineError(`${path} is truncated: its tensors need ${needed} bytes, the file has ${stats.size}`, {hint: 'The download or copy was cut short: fetch the model again.'}, 'E_MODEL_TRUNCATED')
  }
}

function tensorDataEnd(tensors: readonly GgufTensorInfo[]): number {
  let end = 0
  for (const tensor of tensors) {
    const offset = tensor.fileOffset
    const layout = BLOCK_LAYOUT[tensor.ggmlType]
    const elements = tensor.dimensions.reduce((product, dimension) => product * dimension, 1)
    // Unknown types still must start inside the file; their exact size is llama.cpp's business.
    const size = layout ? Math.ceil(elements / layout[1]) * layout[0] : 1
    end = Math.max(end, offset + size)
  }

  return end
}
