import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {availableParallelism} from 'node:os'
import {join} from 'node:path'

import type {Connection, Table} from '@lancedb/lancedb'

import {ConfigError, InputError} from '../errors/index.js'

/** What an index was built with; kept in `index.json` next to the tables, so that search embeds queries the same way. */
export interface IndexMeta {
  version: 1
  /** The embedding model: `echo`, or the GGUF file's path. */
  embedModel: string
  /** Vector length. */
  dimensions: number
  /** Most tokens per chunk (by the embedding model's tokenizer). */
  chunkTokens: number
  createdAt: string
}

/** One indexed document (a file, or one NDJSON record). */
export interface DocumentRow {
  doc: string
  /** The file it was read from. */
  source: string
  /** sha256 of its content (the file's bytes, or the record's text): unchanged content is not indexed again. */
  hash: string
  chunks: number
  chars: number
  indexedAt: string
}

/** One chunk of a document: `text === documentText.slice(start, end)`. */
export interface ChunkRow {
  /** `<doc>#<chunk>`. */
  id: string
  doc: string
  /** Its position in the document, from 0. */
  chunk: number
  start: number
  end: number
  text: string
}

/** A chunk with its vector, as stored. */
export interface StoredChunk extends ChunkRow {
  vector: Float32Array
}

/** A hit of one retrieval leg: the chunk id and the leg's own score (BM25, or cosine similarity). */
export interface LegHit {
  id: string
  score: number
}

type LanceModule = typeof import('@lancedb/lancedb')
type ArrowModule = typeof import('apache-arrow')

/** Fewest threads of LanceDB's CPU pool; see {@link loadLance}. */
const MIN_LANCE_CPU_THREADS = 8

/**
 * Loads LanceDB (its native binary is 155 MB: only the index, ask and chat paths pay for it) with its Rust logging
 * at errors only (its WARN lines would otherwise clutter stderr), and a CPU pool of at least
 * {@link MIN_LANCE_CPU_THREADS} threads: with one thread per core on a 2-core machine, building the full-text index
 * of 100,000 chunks deadlocked in LanceDB 0.31.0 (both pool threads parked, 0% CPU); with 8 it took 3 s.
 */
async function loadLance(): Promise<{lance: LanceModule; arrow: ArrowModule}> {
  process.env.LANCEDB_LOG ??= 'error'
  process.env.LANCE_CPU_THREADS ??= String(Math.max(MIN_LANCE_CPU_THREADS, availableParallelism()))
  const [lance, arrow] = await Promise.all([import('@lancedb/lancedb'), import('apache-arrow')])
  return {lance, arrow}
}

/** Chunks from which `optimize` builds a vector index: an exact scan of 10,000 384-dimensional vectors takes ~50 ms. */
export const VECTOR_INDEX_MIN_ROWS = 10_000

const sql = (value: string): string => `'${value.replaceAll("'", "''")}'`

/**
 * The on-disk index: a LanceDB database with a `chunks` table (text, offsets, vector; a BM25 full-text index on the
 * text) and a `documents` table (content hashes), plus `index.json`. Writes are incremental: a changed document's
 * chunks are replaced, others are untouched.
 */
export class IndexStore {
  private constructor(
    readonly dir: string,
    readonly meta: IndexMeta,
    private readonly lance: LanceModule,
    private readonly db: Connection,
    private readonly chunks: Table,
    private readonly documents: Table,
  ) {}

  /**
   * Opens the index in `dir`. With `create`, a missing index is created with that meta; an existing one must have
   * the same embedding dimensions. Without it, a missing index is an InputError (E_NO_INDEX).
   */
  static async open(dir: string, create?: Omit<IndexMeta, 'createdAt' | 'version'>): Promise<IndexStore> {
    const metaPath = join(dir, 'index.json')
    let meta = await readMeta(metaPath)
    if (!meta) {
      if (!create) throw new InputError(`there is no index in ${dir}`, {hint: 'Build one with: jsl-med index add FILE… --index DIR'}, 'E_NO_INDEX')
      await mkdir(dir, {recursive: true})
      meta = {version: 1, ...create, createdAt: new Date().toISOString()}
      await writeFile(metaPath, JSON.stringify(meta, null, 2) + '\n')
    } else if (create && create.dimensions !== meta.dimensions) {
      throw new ConfigError(`the index in ${dir} holds ${meta.dimensions}-dimensional vectors, the embedding model gives ${create.dimensions}`, {
        hint: `Use the model the index was built with (${meta.embedModel}), or another --index.`,
      })
    }

    const {lance, arrow} = await loadLance()
    const db = await lance.connect(join(dir, 'lance'))
    const names = new Set(await db.tableNames())
    const {Field, FixedSizeList, Float32, Int32, Schema, Utf8} = arrow
    const chunks = names.has('chunks')
      ? await db.openTable('chunks')
      : await db.createEmptyTable('chunks', new Schema([
          new Field('id', new Utf8(), false),
          new Field('doc', new Utf8(), false),
          new Field('chunk', new Int32(), false),
          new Field('start', new Int32(), false),
          new Field('end', new Int32(), false),
          new Field('text', new Utf8(), false),
          new Field('vector', new FixedSizeList(meta.dimensions, new Field('item', new Float32(), true)), false),
        ]))
    const documents = names.has('documents')
      ? await db.openTable('documents')
      : await db.createEmptyTable('documents', new Schema([
          new Field('doc', new Utf8(), false),
          new Field('source', new Utf8(), false),
          new Field('hash', new Utf8(), false),
          new Field('chunks', new Int32(), false),
          new Field('chars', new Int32(), false),
          new Field('indexedAt', new Utf8(), false),
        ]))
    return new IndexStore(dir, meta, lance, db, chunks, documents)
  }

  /** Every indexed document, by id. */
  async listDocuments(): Promise<DocumentRow[]> {
    const rows = (await this.documents.query().toArray()) as DocumentRow[]
    return rows.map((row) => ({...row})).sort((a, b) => a.doc.localeCompare(b.doc))
  }

  /** Chunks stored in all. */
  countChunks(): Promise<number> {
    return this.chunks.countRows()
  }

  /** Replaces the chunks and the document rows of these documents (chunks of other documents are untouched). */
  async putDocuments(documents: DocumentRow[], chunks: StoredChunk[]): Promise<void> {
    if (documents.length === 0) return
    await this.deleteChunksOf(documents.map((d) => d.doc))
    if (chunks.length > 0) await this.chunks.add(chunks.map((c) => ({...c, vector: Array.from(c.vector)})))
    await this.documents.mergeInsert('doc').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(documents.map((d) => ({...d})))
  }

  /** Removes documents and their chunks; returns the ids that were there. */
  async removeDocuments(docs: string[]): Promise<string[]> {
    const known = new Set((await this.listDocuments()).map((d) => d.doc))
    const present = docs.filter((doc) => known.has(doc))
    if (present.length === 0) return []
    await this.deleteChunksOf(present)
    for (let i = 0; i < present.length; i += 500) await this.documents.delete(`doc IN (${present.slice(i, i + 500).map(sql).join(',')})`)
    return present
  }

  /**
   * Brings the indices up to date and compacts the files written by many small adds: the full-text index (created on
   * first use), and from {@link VECTOR_INDEX_MIN_ROWS} chunks an IVF-PQ vector index (trained once on the chunks there
   * are; later chunks are added to its partitions). Chunks not yet indexed are still searched, by a scan.
   */
  async optimize(): Promise<void> {
    const rows = await this.chunks.countRows()
    if (rows === 0) return
    const indices = await this.chunks.listIndices()
    const indexed = (column: string): boolean => indices.some((index) => index.columns.includes(column))
    if (!indexed('text')) await this.chunks.createIndex('text', {config: this.lance.Index.fts()})
    if (!indexed('vector') && rows >= VECTOR_INDEX_MIN_ROWS) {
      const numSubVectors = [16, 8, 4, 2, 1].map((width) => this.meta.dimensions / width).find((n) => Number.isInteger(n) && n <= 96) ?? 1
      const config = this.lance.Index.ivfPq({numPartitions: Math.round(Math.sqrt(rows)), numSubVectors, distanceType: 'cosine'})
      await this.chunks.createIndex('vector', {config})
    }

    await this.chunks.optimize()
  }

  /** BM25 search of the chunk texts (LanceDB's full-text index: English stemming, stop words left out). */
  async searchText(query: string, limit: number): Promise<LegHit[]> {
    const terms = query.match(/[\p{L}\p{N}]+/gu)?.join(' ')
    if (!terms || (await this.chunks.countRows()) === 0) return []
    const rows = await this.chunks.search(new this.lance.MatchQuery(terms, 'text'), 'fts').select(['id']).limit(limit).toArray()
    return rows.map((row: {id: string; _score: number}) => ({id: row.id, score: row._score}))
  }

  /**
   * Nearest chunks by cosine similarity: an exact scan, or with the vector index the nearest partitions' candidates
   * re-scored with their full vectors (so a chunk's own vector still comes first at distance 0).
   */
  async searchVector(vector: Float32Array, limit: number): Promise<LegHit[]> {
    const rows = await this.chunks.vectorSearch(Array.from(vector)).distanceType('cosine').refineFactor(5).select(['id', '_distance']).limit(limit).toArray()
    return rows.map((row: {id: string; _distance: number}) => ({id: row.id, score: 1 - row._distance}))
  }

  /** The chunks of these ids (in no particular order; missing ids are left out). */
  async getChunks(ids: string[]): Promise<ChunkRow[]> {
    if (ids.length === 0) return []
    const rows = await this.chunks.query().where(`id IN (${ids.map(sql).join(',')})`).select(['id', 'doc', 'chunk', 'start', 'end', 'text']).toArray()
    return rows.map((row: ChunkRow) => ({id: row.id, doc: row.doc, chunk: row.chunk, start: row.start, end: row.end, text: row.text}))
  }

  /**
   * Every chunk with its vector, in batches (LanceDB streams record batches, so memory stays bounded), for merging
   * one index into another.
   */
  async *scanChunks(): AsyncGenerator<StoredChunk[]> {
    for await (const batch of this.chunks.query()) {
      const rows: StoredChunk[] = []
      for (const row of batch.toArray() as unknown as Array<ChunkRow & {vector: {toArray(): Float32Array}}>) {
        rows.push({id: row.id, doc: row.doc, chunk: row.chunk, start: row.start, end: row.end, text: row.text, vector: Float32Array.from(row.vector.toArray())})
      }

      yield rows
    }
  }

  /** Closes the database. */
  close(): void {
    this.db.close()
  }

  private async deleteChunksOf(docs: string[]): Promise<void> {
    for (let i = 0; i < docs.length; i += 500) await this.chunks.delete(`doc IN (${docs.slice(i, i + 500).map(sql).join(',')})`)
  }
}

async function readMeta(path: string): Promise<IndexMeta | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }

  try {
    return JSON.parse(text) as IndexMeta
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON`, {cause: error, hint: 'Remove the index directory and build it again.'})
  }
}
