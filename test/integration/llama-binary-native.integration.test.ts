import {describe, expect, inject, it} from 'vitest'

import {findNativeLlamaBuild, LLAMA_BINARY_ENV, openBenchModel} from '../../src/lib/engine/index.js'
import {loadLlamaModel} from '../../src/lib/engine/llama/loader.js'

// Its own file, so its own process: one process runs one binary (see llama-binary.integration.test.ts).
const modelPath = inject('tinyModelPath')
const native = await findNativeLlamaBuild()

describe.skipIf(!native.built)('loading the native build of npm run build:native', () => {
  it('reports native with OpenMP under native, and the bench model records it', async () => {
    const before = process.env[LLAMA_BINARY_ENV]
    process.env[LLAMA_BINARY_ENV] = 'native'
    try {
      const loaded = await loadLlamaModel({modelPath, gpu: 'off', threads: 1})
      expect(loaded.binary).toEqual({kind: 'native', openmp: true})
      expect(loaded.llama.systemInfo).toMatch(/OPENMP = 1/)
      await loaded.model.dispose()
      await loaded.llama.dispose()
      const bench = await openBenchModel({modelPath, gpu: 'off', threads: 1})
      expect(bench.info.binary).toEqual({kind: 'native', openmp: true})
      await bench.dispose()
    } finally {
      if (before === undefined) delete process.env[LLAMA_BINARY_ENV]
      else process.env[LLAMA_BINARY_ENV] = before
    }
  })
})
