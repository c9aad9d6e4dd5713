import {describe, expect, it} from 'vitest'

import {availableQuants, findModel, listModels, MODEL_TASKS, modelsForTask, QUANTS, type CatalogModel, type Quant} from '../../../src/lib/catalog/index.js'

const models = listModels()

// Bits per weight of each tier's usual quantization types (Q4_0…Q4_K_M ≈ 4.5–4.9, Q8_0 = 8.5, F16/BF16 = 16).
const BITS: Record<Quant, [min: number, max: number]> = {q4: [4, 5], q8: [8, 8.5], q16: [16, 16]}

/**
 * The file size range a quantization of this many parameters can have: parameters × bits, ±15%, plus one
 * embedding-sized tensor at 16 bits (converters often keep token embeddings or the output layer at a higher precision).
 */
function plausibleRange(model: CatalogModel, quant: Quant): [number, number] {
  const [minBits, maxBits] = BITS[quant]
  const embedding = model.architecture ? model.architecture.vocabSize * model.architecture.embeddingLength * 2 : model.parameters * 0.2
  return [(model.parameters * minBits) / 8 * 0.85, ((model.parameters * maxBits) / 8 + embedding) * 1.15]
}

describe('catalog integrity', () => {
  it('has unique ids and aliases, all lower-case and usable as command-line words', () => {
    const names = models.flatMap((model) => [model.id, ...(model.aliases ?? [])])
    expect(new Set(names).size).toBe(names.length)
    for (const name of names) expect(name).toMatch(/^[a-z0-9][a-z0-9._-]*$/)
  })

  it('finds every model by id and alias, case-insensitively', () => {
    for (const model of models) {
      expect(findModel(model.id)).toBe(model)
      expect(findModel(model.id.toUpperCase())).toBe(model)
      for (const alias of model.aliases ?? []) expect(findModel(alias)).toBe(model)
    }

    expect(findModel('no-such-model')).toBeUndefined()
  })

  it('gives every listed quantization a GGUF file and a quant name of that tier', () => {
    for (const model of models) {
      expect(availableQuants(model).length, model.id).toBeGreaterThan(0)
      for (const quant of QUANTS) {
        const variant = model.variants[quant]
        if (!variant) continue
        expect(variant.file, `${model.id} ${quant}`).toMatch(/\.gguf$/)
        const expected = {q4: /^(I?Q4|Q5)/, q8: /^(Q8|Q6)/, q16: /^(F16|BF16)$/}[quant]
        expect(variant.quantName, `${model.id} ${quant}`).toMatch(expected)
      }
    }
  })

  it('has file sizes plausible for the parameter count', () => {
    for (const model of models) {
      for (const quant of availableQuants(model)) {
        const size = model.variants[quant]?.sizeBytes
        if (size === undefined) continue
        const [min, max] = plausibleRange(model, quant)
        expect(size, `${model.id} ${quant}: ${size} bytes for ${model.parameters} parameters`).toBeGreaterThanOrEqual(min)
        expect(size, `${model.id} ${quant}: ${size} bytes for ${model.parameters} parameters`).toBeLessThanOrEqual(max)
      }

      const sizes = availableQuants(model).map((quant) => model.variants[quant]?.sizeBytes)
      if (sizes.every((size) => size !== undefined)) expect([...sizes].sort((a, b) => a! - b!), `${model.id} sizes grow with the tier`).toEqual(sizes)
    }
  })

  it('gives every vision model a projector (mmproj) and no text-only model one', () => {
    for (const model of models) {
      if (model.tasks.includes('vision')) expect(model.mmproj?.file, model.id).toMatch(/mmproj.*\.gguf$/)
      else expect(model.mmproj, model.id).toBeUndefined()
    }
  })

  it('lists user-supplied models without a repo, and every open model with one', () => {
    for (const model of models) {
      if (model.userSupplied) {
        expect(model.repo, model.id).toBeUndefined()
        expect(model.revision).toBe('local')
        expect(model.userSupplied.note).toContain(`--as ${model.id}`)
        expect(model.gated).toBe(true)
      } else {
        expect(model.repo, model.id).toMatch(/^[\w.-]+\/[\w.-]+$/)
        expect(model.revision).toMatch(/^(main|[0-9a-f]{40})$/)
      }
    }
  })

  it('includes the licensed JSL models as user-supplied entries', () => {
    for (const id of ['jsl-meds', 'jsl-medm', 'jsl-meds-ner', 'jsl-meds-rag', 'jsl-meds-text2soap', 'jsl-meds-vlm']) {
      expect(findModel(id)?.userSupplied, id).toBeDefined()
    }
  })

  it('marks only real fields as unverified, and gives exact facts to verified files', () => {
    for (const model of models) {
      for (const field of model.unverified ?? []) {
        const value = field.split('.').reduce<unknown>((object, key) => (object as Record<string, unknown> | undefined)?.[key], model)
        expect(value, `${model.id}: unverified field ${field} does not exist`).toBeDefined()
      }

      for (const quant of availableQuants(model)) {
        const variant = model.variants[quant]!
        if (!variant.verified) continue
        expect(Number.isInteger(variant.sizeBytes), `${model.id} ${quant}`).toBe(true)
        expect(model.unverified ?? [], `${model.id} ${quant}`).not.toContain(`variants.${quant}.sizeBytes`)
        expect(model.unverified ?? [], `${model.id} ${quant}`).not.toContain(`variants.${quant}.file`)
      }

      for (const file of [...Object.values(model.variants), model.mmproj]) {
        if (file?.sha256 !== undefined) expect(file.sha256).toMatch(/^[0-9a-f]{64}$/)
      }
    }
  })

  it('has a consistent architecture for every model', () => {
    for (const model of models) {
      const shape = model.architecture
      expect(shape, model.id).toBeDefined()
      expect(shape!.headCount % shape!.headCountKv, model.id).toBe(0)
      if (shape!.slidingWindow) expect(shape!.fullAttentionLayers, model.id).toBeLessThan(shape!.layers)
      expect(model.contextLength).toBeGreaterThanOrEqual(2048)
    }
  })

  it('covers every task, open models first', () => {
    for (const task of MODEL_TASKS) {
      const candidates = modelsForTask(task)
      expect(candidates.length, task).toBeGreaterThan(0)
      expect(candidates[0].userSupplied, `default for ${task}`).toBeUndefined()
    }
  })
})
