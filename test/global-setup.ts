import {mkdir, mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {TestProject} from 'vitest/node'

import {SHAPES, synthesizeModel} from '../src/lib/gguf/index.js'

declare module 'vitest' {
  export interface ProvidedContext {
    tinyModelPath: string
    /** The tiny shape as an embedding model (mean pooling). */
    tinyEmbedModelPath: string
  }
}

/**
 * Synthesizes the tiny random-weight models the llama.cpp tests load (no download, a few hundred KB each), and points
 * the XDG directories of every test and every process a test spawns into a temporary home: no test reads or writes
 * the user's real store, cache (the hw bandwidth cache) or configuration, or a Hugging Face token. TMPDIR points
 * there too, so the temporary directories tests make (os.tmpdir()) go when the run ends, even those a test leaves.
 */
/** One temporary home for the whole run: vitest calls the setup once per project, in one process. */
let home: Promise<{dir: string; tinyModelPath: string; tinyEmbedModelPath: string}> | undefined
let projects = 0

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  home ??= makeHome()
  projects++
  const {dir, tinyModelPath, tinyEmbedModelPath} = await home
  project.provide('tinyModelPath', tinyModelPath)
  project.provide('tinyEmbedModelPath', tinyEmbedModelPath)
  return async () => {
    if (--projects === 0) await rm(dir, {recursive: true, force: true})
  }
}

async function makeHome(): Promise<{dir: string; tinyModelPath: string; tinyEmbedModelPath: string}> {
  const dir = await mkdtemp(join(tmpdir(), 'jsl-med-test-'))
  await mkdir(join(dir, 'tmp'))
  process.env.TMPDIR = join(dir, 'tmp')
  for (const category of ['data', 'cache', 'config']) process.env[`XDG_${category.toUpperCase()}_HOME`] = join(dir, category)
  for (const name of ['JSL_MED_DATA_DIR', 'JSL_MED_CACHE_DIR', 'JSL_MED_CONFIG_DIR', 'JSL_MED_MODELS_DIR', 'JSL_MED_INDEX', 'JSL_MED_EMBED_MODEL', 'HF_HOME', 'HF_TOKEN', 'HF_TOKEN_PATH']) {
    delete process.env[name]
  }
  const {path: tinyModelPath} = await synthesizeModel({path: join(dir, 'tiny.gguf'), shape: SHAPES.tiny, seed: 7})
  const {path: tinyEmbedModelPath} = await synthesizeModel({path: join(dir, 'tiny-embed.gguf'), shape: SHAPES.tiny, seed: 11, pooling: 'mean'})
  return {dir, tinyModelPath, tinyEmbedModelPath}
}
