import {EMBEDDING_MODELS} from './embedding-models.js'
import {LICENSED_MODELS} from './licensed-models.js'
import {OPEN_MODELS} from './open-models.js'
import type {CatalogModel} from './types.js'

// Sources: the project's catalog research (Hugging Face tree pages, pinned download manifests, model cards),
// checked offline. `verified` files have exact names and byte sizes; every other size is rounded from a tree page
// or a model card and listed in `unverified`. Architectures come from the upstream config.json of the base model.

/** The built-in catalog, in the order `hw` lists it: open models first, then licensed JSL models, then embedding models. */
export const CATALOG_MODELS: readonly CatalogModel[] = [...OPEN_MODELS, ...LICENSED_MODELS, ...EMBEDDING_MODELS]
