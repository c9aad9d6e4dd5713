import {InputError} from '../../errors/index.js'
import {IndexStore, isRelevant, readDocuments, searchIndex, type SearchMode} from '../../retrieval/index.js'
import type {RetrievedPassage} from '../../tasks/index.js'
import {openIndex, type EmbedderChoice} from './index-docs.js'

/** Default cosine similarity from which a vector hit counts as relevant evidence on its own. */
export const DEFAULT_MIN_SIMILARITY = 0.5

/** Options of {@link openRetriever}. */
export interface OpenRetrieverOptions extends EmbedderChoice {
  indexDir: string
  /** Chunks retrieved per question; default 5. */
  topK?: number
  /** Legs; default `hybrid`. */
  mode?: SearchMode
  /** See {@link DEFAULT_MIN_SIMILARITY}. */
  minSimilarity?: number
}

/** A question → passages function over an open index, and how to close it. */
export interface Retriever {
  retrieve(question: string, signal?: AbortSignal): Promise<RetrievedPassage[]>
  close(): Promise<void>
}

/**
 * A retriever over an index and its embedding model, for `ask --index` and `chat --index`: each question retrieves
 * the top-k chunks (hybrid by default), each marked relevant when a query term matched it (BM25) or its vector is at
 * least `minSimilarity` from the question's. The index must exist (checked now); the embedding model loads on the
 * first question.
 */
export async function openRetriever(options: OpenRetrieverOptions): Promise<Retriever> {
  await IndexStore.open(options.indexDir).then((store) => store.close())
  const minSimilarity = options.minSimilarity ?? DEFAULT_MIN_SIMILARITY
  // The embedding model loads with the first question, so that an empty or refused input costs no load.
  let opened: ReturnType<typeof openIndex> | undefined
  return {
    async retrieve(question) {
      opened ??= openIndex(options.indexDir, options)
      const {store, embedder} = await opened
      const hits = await searchIndex(store, embedder, question, {limit: options.topK ?? 5, mode: options.mode})
      return hits.map((hit) => ({doc: hit.doc, chunk: hit.chunk, text: hit.text, relevant: isRelevant(hit, minSimilarity)}))
    },
    async close() {
      const index = await opened?.catch(() => undefined)
      index?.store.close()
      await index?.embedder.dispose()
    },
  }
}

/** The documents of `--context FILE…` (text, Markdown, HTML, PDF, or NDJSON records), for the ask task. */
export async function readContextDocuments(paths: string[]): Promise<Array<{doc: string; text: string}>> {
  const documents: Array<{doc: string; text: string}> = []
  for await (const document of readDocuments(paths)) documents.push({doc: document.doc, text: await document.readText()})
  if (documents.every((d) => d.text.trim() === '')) throw new InputError('the --context files hold no text', {hint: 'Give files with text (a scanned PDF needs OCR first).'}, 'E_EMPTY_CONTEXT')
  return documents
}
