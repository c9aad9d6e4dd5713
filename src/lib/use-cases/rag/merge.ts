import {UsageError} from '../../errors/index.js'
import {IndexStore, type DocumentRow, type StoredChunk} from '../../retrieval/index.js'
import {WRITE_BATCH_CHUNKS} from './index-docs.js'

/** What {@link mergeIndexes} did. */
export interface MergeIndexesResult {
  indexDir: string
  /** Documents copied (new or changed in the target), and those the target held already with the same hash. */
  copied: number
  unchanged: number
  totalChunks: number
}

/**
 * Merges shard indexes (built by separate `index add` runs, e.g. one per worker) into `indexDir`: each document
 * whose hash the target lacks is copied with its chunks and vectors, no text is embedded again. All must have been
 * built with the same embedding model; a document id in several shards keeps the last shard's copy.
 */
export async function mergeIndexes(indexDir: string, shards: string[]): Promise<MergeIndexesResult> {
  const sources = []
  try {
    for (const shard of shards) sources.push(await IndexStore.open(shard))
    const [first] = sources
    for (const source of sources) {
      if (source.meta.embedModel !== first.meta.embedModel || source.meta.dimensions !== first.meta.dimensions) {
        throw new UsageError(`${source.dir} was built with ${source.meta.embedModel}, ${first.dir} with ${first.meta.embedModel}`, {
          hint: 'Merge only shards built with the same --embed-model.',
        }, 'E_INDEX_MISMATCH')
      }
    }

    const target = await IndexStore.open(indexDir, {embedModel: first.meta.embedModel, dimensions: first.meta.dimensions, chunkTokens: first.meta.chunkTokens})
    try {
      const hashes = new Map((await target.listDocuments()).map((row) => [row.doc, row.hash]))
      let copied = 0
      let unchanged = 0
      for (const source of sources) {
        const wanted = new Map<string, DocumentRow>()
        for (const row of await source.listDocuments()) {
          if (hashes.get(row.doc) === row.hash) unchanged++
          else wanted.set(row.doc, row)
        }

        if (wanted.size === 0) continue
        let chunks: StoredChunk[] = []
        const written = new Set<string>()
        const flush = async (): Promise<void> => {
          const docs = [...new Set(chunks.map((c) => c.doc))].filter((doc) => !written.has(doc))
          await target.putDocuments(docs.map((doc) => wanted.get(doc)!), chunks.filter((c) => docs.includes(c.doc)))
          for (const doc of docs) written.add(doc)
          chunks = []
        }

        // A document's chunks may span batches: they are collected per document before it is written.
        const pending = new Map<string, StoredChunk[]>()
        for await (const batch of source.scanChunks()) {
          for (const chunk of batch) {
            if (!wanted.has(chunk.doc)) continue
            const list = pending.get(chunk.doc) ?? []
            list.push(chunk)
            pending.set(chunk.doc, list)
            if (list.length === wanted.get(chunk.doc)!.chunks) {
              chunks.push(...list)
              pending.delete(chunk.doc)
            }
          }

          if (chunks.length >= WRITE_BATCH_CHUNKS) await flush()
        }

        await flush()
        // Documents without chunks (empty text) have no rows to wait for.
        const empty = [...wanted.values()].filter((row) => row.chunks === 0 && !written.has(row.doc))
        await target.putDocuments(empty, [])
        copied += written.size + empty.length
        for (const row of wanted.values()) hashes.set(row.doc, row.hash)
      }

      await target.optimize()
      return {indexDir, copied, unchanged, totalChunks: await target.countChunks()}
    } finally {
      target.close()
    }
  } finally {
    for (const source of sources) source.close()
  }
}
