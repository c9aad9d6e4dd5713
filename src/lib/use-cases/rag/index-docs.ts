import {resolve} from 'node:path'

import {createEmbedder, type Embedder, type EngineLogger, type GpuChoice} from '../../engine/index.js'
import {InterruptedError, UsageError} from '../../errors/index.js'
import {resolveDirs} from '../../paths/index.js'
import {
  chunkDocument,
  IndexStore,
  readDocuments,
  searchIndex,
  type DocumentRow,
  type IndexMeta,
  type SearchHit,
  type SearchOptions,
  type StoredChunk,
} from '../../retrieval/index.js'
import {resolveModelPath} from '../../store/index.js'

/** Default tokens per chunk: small enough for a precise citation, large enough to hold a finding and its context. */
export const DEFAULT_CHUNK_TOKENS = 256

/** Chunks embedded before they are written in one batch (one LanceDB version per batch, not per document). */
export const WRITE_BATCH_CHUNKS = 2048

/** The index directory: `given` (`--index`), else `<data dir>/index`. */
export function indexDirFor(given?: string): string {
  return given ? resolve(given) : resolve(resolveDirs().dataDir, 'index')
}

/** How to embed, shared by adding and searching. */
export interface EmbedderChoice {
  /** `llama` (a GGUF embedding model) or `echo` (hashed words, no model). */
  engine: 'echo' | 'llama'
  /** The embedding model (path or installed name); default: the one the index was built with. */
  embedModel?: string
  gpu?: GpuChoice
  threads?: number
  verbose?: boolean
  log?: EngineLogger
  signal?: AbortSignal
}

/** Opens an existing index and the embedder it was built with (or `choice.embedModel`). */
export async function openIndex(indexDir: string, choice: EmbedderChoice): Promise<{store: IndexStore; embedder: Embedder}> {
  const store = await IndexStore.open(indexDir)
  try {
    const embedder = await openEmbedder(choice, store.meta)
    return {store, embedder}
  } catch (error) {
    store.close()
    throw error
  }
}

async function openEmbedder(choice: EmbedderChoice, meta?: IndexMeta): Promise<Embedder> {
  const kind = choice.engine === 'echo' || (!choice.embedModel && meta?.embedModel === 'echo') ? 'echo' : 'llama'
  const ref = choice.embedModel ?? meta?.embedModel
  if (kind === 'llama' && !ref) {
    throw new UsageError('No embedding model given', {hint: 'Pass --embed-model PATH (a GGUF embedding model) or set JSL_MED_EMBED_MODEL; `jsl-med synth e.gguf --embedding` writes a synthetic one.'}, 'E_NO_MODEL')
  }

  const modelPath = kind === 'llama' ? await resolveModelPath(ref!) : undefined
  return createEmbedder({kind, modelPath, gpu: choice.gpu, threads: choice.threads, verbose: choice.verbose, logger: choice.log, signal: choice.signal})
}

/** Options of {@link addToIndex}. */
export interface AddToIndexOptions extends EmbedderChoice {
  indexDir: string
  /** Files and directories to index. */
  paths: string[]
  /** Most tokens per chunk; default {@link DEFAULT_CHUNK_TOKENS} (for a new index; an existing one keeps its own). */
  chunkTokens?: number
  /** NDJSON fields of the text and the id; default `text` and `id`. */
  field?: string
  idField?: string
  /** Called after each document with the counts so far. */
  onProgress?: (progress: AddProgress) => void
}

/** Counts of an `index add` run so far. */
export interface AddProgress {
  documents: number
  added: number
  updated: number
  unchanged: number
  chunks: number
}

/** What {@link addToIndex} did. */
export interface AddToIndexResult extends AddProgress {
  indexDir: string
  /** Chunks in the whole index afterwards. */
  totalChunks: number
  durationMs: number
  /** New chunks per second, embedding and writing included. */
  chunksPerSecond: number
}

/**
 * Adds files to the index: each document whose content hash is new or changed is chunked with the embedding model's
 * tokenizer, embedded and written (a changed one replaces its old chunks); an unchanged one is skipped without being
 * read again. Creates the index on first use. The full-text index is brought up to date at the end.
 */
export async function addToIndex(options: AddToIndexOptions): Promise<AddToIndexResult> {
  const started = performance.now()
  const existing = await IndexStore.open(options.indexDir).then(
    (store) => (store.close(), store.meta),
    (error: unknown) => {
      if ((error as {code?: string}).code === 'E_NO_INDEX') return undefined
      throw error
    },
  )

  const embedder = await openEmbedder(options, existing)
  let store: IndexStore | undefined
  try {
    const embedModel = embedder.info.kind === 'echo' ? 'echo' : embedder.info.modelPath!
    const chunkTokens = Math.min(existing?.chunkTokens ?? options.chunkTokens ?? DEFAULT_CHUNK_TOKENS, embedder.info.contextSize)
    store = await IndexStore.open(options.indexDir, {embedModel, dimensions: embedder.info.dimensions, chunkTokens})
    const hashes = new Map((await store.listDocuments()).map((row) => [row.doc, row.hash]))
    const progress: AddProgress = {documents: 0, added: 0, updated: 0, unchanged: 0, chunks: 0}
    const seen = new Set<string>()
    let pendingDocs: DocumentRow[] = []
    let pendingChunks: StoredChunk[] = []
    const flush = async (): Promise<void> => {
      await store!.putDocuments(pendingDocs, pendingChunks)
      pendingDocs = []
      pendingChunks = []
    }

    for await (const document of readDocuments(options.paths, {field: options.field, idField: options.idField})) {
      if (options.signal?.aborted) throw new InterruptedError()
      progress.documents++
      if (seen.has(document.doc)) {
        // Two documents with one id in one run (a repeated NDJSON id): the first is kept, as a rerun would keep it.
        options.log?.('warn', `document id ${document.doc} (${document.source}) came twice; the first one is kept`)
        progress.unchanged++
        continue
      }

      seen.add(document.doc)
      const previous = hashes.get(document.doc)
      if (previous === document.hash) {
        progress.unchanged++
        options.onProgress?.({...progress})
        continue
      }

      const text = await document.readText()
      const chunks = chunkDocument(text, (piece) => embedder.countTokens(piece), store.meta.chunkTokens)
      for (const chunk of chunks) {
        pendingChunks.push({id: `${document.doc}#${chunk.chunk}`, doc: document.doc, ...chunk, vector: await embedder.embed(chunk.text)})
      }

      pendingDocs.push({doc: document.doc, source: document.source, hash: document.hash, chunks: chunks.length, chars: text.length, indexedAt: new Date().toISOString()})
      hashes.set(document.doc, document.hash)
      if (previous === undefined) progress.added++
      else progress.updated++
      progress.chunks += chunks.length
      options.onProgress?.({...progress})
      if (pendingChunks.length >= WRITE_BATCH_CHUNKS) await flush()
    }

    await flush()
    await store.optimize()
    const durationMs = performance.now() - started
    return {...progress, indexDir: options.indexDir, totalChunks: await store.countChunks(), durationMs, chunksPerSecond: progress.chunks / (durationMs / 1000)}
  } finally {
    store?.close()
    await embedder.dispose()
  }
}

/** What `index ls` shows. */
export interface IndexListing {
  indexDir: string
  meta: IndexMeta
  documents: DocumentRow[]
  totalChunks: number
}

/** Lists the documents of an index. */
export async function listIndex(indexDir: string): Promise<IndexListing> {
  const store = await IndexStore.open(indexDir)
  try {
    return {indexDir, meta: store.meta, documents: await store.listDocuments(), totalChunks: await store.countChunks()}
  } finally {
    store.close()
  }
}

/** Removes documents (by id) from an index; returns the ids removed and those it did not hold. */
export async function removeFromIndex(indexDir: string, docs: string[]): Promise<{removed: string[]; missing: string[]}> {
  const store = await IndexStore.open(indexDir)
  try {
    const removed = await store.removeDocuments(docs)
    await store.optimize()
    const gone = new Set(removed)
    return {removed, missing: docs.filter((doc) => !gone.has(doc))}
  } finally {
    store.close()
  }
}

/** Options of {@link searchIndexDir}. */
export interface SearchIndexOptions extends EmbedderChoice, SearchOptions {
  indexDir: string
  query: string
}

/** Searches an index once (`index search`): opens it and its embedder, searches, closes. */
export async function searchIndexDir(options: SearchIndexOptions): Promise<{hits: SearchHit[]; durationMs: number}> {
  // BM25 alone needs no embedding model.
  const {store, embedder} = options.mode === 'bm25' ? {store: await IndexStore.open(options.indexDir), embedder: undefined} : await openIndex(options.indexDir, options)
  try {
    const started = performance.now()
    const hits = await searchIndex(store, embedder, options.query, options)
    return {hits, durationMs: performance.now() - started}
  } finally {
    store.close()
    await embedder?.dispose()
  }
}

