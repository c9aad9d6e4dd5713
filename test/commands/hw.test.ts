import {runCommand} from '@oclif/test'
import {beforeAll, describe, expect, inject, it} from 'vitest'

import type {HwResult} from '../../src/commands/hw.js'
import {listModels} from '../../src/lib/catalog/index.js'
import {root} from '../helpers/spawn-cli.js'
import {loadSchema, validate, type Schema} from '../unit/advisor/json-schema.js'

describe('hw command (in process, this machine)', () => {
  let schema: Schema
  beforeAll(async () => {
    schema = await loadSchema('hw.schema.json')
  })

  it('returns and prints one JSON document that matches schemas/hw.schema.json', async () => {
    const {stdout, result, error} = await runCommand<HwResult>(['hw', '--json'], {root})
    expect(error).toBeUndefined()
    const document = JSON.parse(stdout) as HwResult
    expect(document).toEqual(JSON.parse(JSON.stringify(result)))
    expect(validate(schema, document)).toEqual([])
    expect(document.models.map((model) => model.id)).toEqual(listModels().map((model) => model.id))
    expect(document.hardware.cpu.physicalCores).toBeGreaterThan(0)
    for (const model of document.models) expect(model.recommendation.threads).toBe(document.hardware.cpu.physicalCores)
  })

  it('prints the machine and a table of models in human mode', async () => {
    const {stdout, error} = await runCommand(['hw'], {root})
    expect(error).toBeUndefined()
    expect(stdout).toMatch(/^CPU +\S/)
    expect(stdout).toMatch(/^RAM +[\d.]+ GiB total/m)
    expect(stdout).toMatch(/^BACKEND +(CPU|CUDA|Vulkan|Metal): /m)
    expect(stdout).toMatch(/^MODEL +QUANT +GPU LAYERS +CONTEXT +THREADS +MEMORY +FITS +TOK\/S$/m)
    for (const line of stdout.trimEnd().split('\n')) expect(line.length, line).toBeLessThanOrEqual(80)
    for (const model of listModels()) expect(stdout).toMatch(new RegExp(`^${model.id.replaceAll('.', '\\.')}( \\*)? +q(4|8|16) `, 'm'))
  })

  it('narrows to one model with --model and plans for --context', async () => {
    const {result, error} = await runCommand<HwResult>(['hw', '--model', 'MedGemma', '--context', '4096', '--json'], {root})
    expect(error).toBeUndefined()
    expect(result?.assumptions).toMatchObject({contextSize: 4096, contextSource: 'flag'})
    expect(result?.models).toHaveLength(1)
    expect(result?.models[0]).toMatchObject({id: 'medgemma-4b', recommendation: {contextSize: 4096}})
  })

  it('reads exact sizes from a GGUF file given as --model (real synthesized model)', async () => {
    const path = inject('tinyModelPath')
    const {result, error} = await runCommand<HwResult>(['hw', '--model', path, '--json'], {root})
    expect(error).toBeUndefined()
    const [advice] = result!.models
    expect(advice).toMatchObject({file: path, quantName: 'F32', repo: null, recommendation: {quant: 'q16', estimate: {source: 'gguf'}}})
    expect(advice.recommendation.reasons).toContainEqual({code: 'GGUF_EXACT', path})
    // The tiny model has ≈140K F32 parameters: about 0.56 MB of weights, read from its tensor table.
    expect(advice.recommendation.estimate.weightsBytes).toBeGreaterThan(500_000)
    expect(advice.recommendation.estimate.weightsBytes).toBeLessThan(700_000)
    expect(advice.recommendation.contextSize).toBe(4096)
    expect(validate(schema, JSON.parse(JSON.stringify(result)))).toEqual([])
  })

  it('exits 4 for an unknown model, naming the known ones, or the close one for a typo', async () => {
    const {error, stderr} = await runCommand(['hw', '--model', 'no-such-model'], {root})
    expect(error?.oclif?.exit).toBe(4)
    expect(stderr).toMatch(/Error \[E_UNKNOWN_MODEL]: "no-such-model" is not a catalog model, an installed model, a file or a model reference/)
    expect(stderr).toMatch(/Hint: Catalog models: medgemma-4b, /)
    const typo = await runCommand(['hw', '--model', 'medgema-4b'], {root})
    expect(typo.stderr).toMatch(/Hint: Did you mean medgemma-4b\? /)
  })

  it('exits 4 for a .gguf path that does not exist, and 2 for a tiny context', async () => {
    const missing = await runCommand(['hw', '--model', 'nowhere/model.gguf'], {root})
    expect(missing.error?.oclif?.exit).toBe(4)
    const tiny = await runCommand(['hw', '--context', '10'], {root})
    expect(tiny.error?.oclif?.exit).toBe(2)
  })
})
