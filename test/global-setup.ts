import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {TestProject} from 'vitest/node'

import {SHAPES, synthesizeModel} from '../src/lib/gguf/index.js'

declare module 'vitest' {
  export interface ProvidedContext {
    tinyModelPath: string
  }
}

/** Synthesizes the tiny random-weight model every llama.cpp test loads (no download, a few hundred KB). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'jsl-med-test-'))
  const {path} = await synthesizeModel({path: join(dir, 'tiny.gguf'), shape: SHAPES.tiny, seed: 7})
  project.provide('tinyModelPath', path)
  return () => rm(dir, {recursive: true, force: true})
}
