// The built-in model catalog: which GGUF file to fetch for each model and quantization tier, with the facts
// the advisor needs (parameters, context length, architecture) and the ones a user must know (licence, gating).
import {CATALOG_MODELS} from './models.js'
import type {CatalogModel, ModelTask, Quant} from './types.js'

export {MODEL_TASKS, QUANTS} from './types.js'
export type {CatalogFile, CatalogModel, ModelArchitecture, ModelTask, Quant} from './types.js'

/** Every catalog model, open models first, in the order `hw` lists them. */
export function listModels(): readonly CatalogModel[] {
  return CATALOG_MODELS
}

/** The model whose id or alias is `aliasOrId` (case-insensitive), or undefined. */
export function findModel(aliasOrId: string): CatalogModel | undefined {
  const key = aliasOrId.trim().toLowerCase()
  return CATALOG_MODELS.find((model) => model.id === key || model.aliases?.some((alias) => alias.toLowerCase() === key))
}

/** The models for a task, the default first (open models before user-supplied ones). */
export function modelsForTask(task: ModelTask): CatalogModel[] {
  return CATALOG_MODELS.filter((model) => model.tasks.includes(task))
}

/** The quantization tiers a model is published in, smallest first. */
export function availableQuants(model: CatalogModel): Quant[] {
  return (['q4', 'q8', 'q16'] as const).filter((quant) => model.variants[quant] !== undefined)
}
