import {mkdtemp, rm} from 'node:fs/promises'
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

/** Synthesizes the tiny random-weight models the llama.cpp tests load (no download, a few hundred KB each). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'jsl-med-test-'))
  const {path} = await synthesizeModel({path: join(dir, 'tiny.gguf'), shape: SHAPES.tiny, seed: 7})
  project.provide('tinyModelPath', path)
  const embed = await synthesizeModel({path: join(dir, 'tiny-embed.gguf'), shape: SHAPES.tiny, seed: 11, pooling: 'mean'})
  project.provide('tinyEmbedModelPath', embed.path)
  return () => rm(dir, {recursive: true, force: true})
}
