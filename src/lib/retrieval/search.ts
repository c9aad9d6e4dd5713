import type {Embedder} from '../engine/index.js'
import type {ChunkRow, IndexStore, LegHit} from './store.js'

/** Which legs a search runs. */
export type SearchMode = 'bm25' | 'hybrid' | 'vector'

/** Options of {@link searchIndex}. */
export interface SearchOptions {
  /** Chunks returned; default 10. */
  limit?: number
  /** Legs to run; default `hybrid`. */
  mode?: SearchMode
  /** Candidates each leg gives the fusion; default max(50, 4 × limit). */
  candidates?: number
  /** The k of reciprocal rank fusion (score = Σ 1 / (k + rank)); default 60, as in Cormack et al. 2009. */
  rrfK?: number
  /** The query's embedding, when it is computed already (benchmarks time the two apart); default: embedded here. */
  queryVector?: Float32Array
}

/** One retrieved chunk, with what each leg said of it. */
export interface SearchHit extends ChunkRow {
  /** The fused score (reciprocal rank fusion), or the one leg's score. Higher is better. */
  score: number
  /** Its rank (from 1) and BM25 score in the lexical leg, when it matched a query term. */
  bm25?: {rank: number; score: number}
  /** Its rank (from 1) and cosine similarity in the vector leg. */
  vector?: {rank: number; similarity: number}
}

/**
 * Hybrid retrieval: BM25 over the chunk texts and nearest vectors of the query's embedding, fused by reciprocal rank
 * (Cormack, Clarke and Büttcher, SIGIR 2009). Ties go to the higher cosine similarity, then the higher BM25 score,
 * then the chunk id, so the order is deterministic and a chunk's own text (similarity 1) wins a tie.
 */
export async function searchIndex(store: IndexStore, embedder: Embedder | undefined, query: string, options: SearchOptions = {}): Promise<SearchHit[]> {
  const limit = options.limit ?? 10
  const mode = options.mode ?? 'hybrid'
  const candidates = Math.max(options.candidates ?? 50, limit * 4)
  const rrfK = options.rrfK ?? 60
  const [lexical, semantic] = await Promise.all([
    mode === 'vector' ? [] : store.searchText(query, candidates),
    mode === 'bm25' || (!embedder && !options.queryVector)
      ? []
      : (options.queryVector ? Promise.resolve(options.queryVector) : embedder!.embed(query)).then((vector) => store.searchVector(vector, candidates)),
  ])
  const fused = fuseRankings(lexical, semantic, rrfK)
  // A chunk whose text is the query itself goes first: near-copies (a shared boilerplate paragraph) can outrank it in
  // both legs, and only an identical vector says which one is the text.
  const identical = new Set(semantic.filter((hit) => hit.score >= IDENTICAL_SIMILARITY).map((hit) => hit.id))
  const wanted = new Set([...fused.slice(0, limit).map((hit) => hit.id), ...identical])
  const rows = new Map((await store.getChunks([...wanted])).map((row) => [row.id, row]))
  const exact = (id: string): boolean => identical.has(id) && rows.get(id)?.text.trim() === query.trim()
  const ordered = [...fused.filter((hit) => exact(hit.id)), ...fused.filter((hit) => !exact(hit.id))].slice(0, limit)
  return ordered.flatMap((hit) => {
    const row = rows.get(hit.id)
    return row ? [{...row, ...hit, score: mode === 'hybrid' ? hit.score : (hit.bm25?.score ?? hit.vector?.similarity ?? 0)}] : []
  })
}

/** Cosine similarity above which two vectors are taken as the same text's (float32 rounding leaves 1 − 1e-6). */
const IDENTICAL_SIMILARITY = 0.9999

/** The fused ranking of two legs' hits (each best first), by reciprocal rank; see {@link searchIndex} for ties. */
export function fuseRankings(lexical: LegHit[], semantic: LegHit[], rrfK = 60): Array<Pick<SearchHit, 'bm25' | 'score' | 'vector'> & {id: string}> {
  const hits = new Map<string, Pick<SearchHit, 'bm25' | 'score' | 'vector'> & {id: string}>()
  const entry = (id: string) => {
    let hit = hits.get(id)
    if (!hit) hits.set(id, (hit = {id, score: 0}))
    return hit
  }

  for (const [index, {id, score}] of lexical.entries()) {
    const hit = entry(id)
    hit.bm25 = {rank: index + 1, score}
    hit.score += 1 / (rrfK + index + 1)
  }

  for (const [index, {id, score}] of semantic.entries()) {
    const hit = entry(id)
    hit.vector = {rank: index + 1, similarity: score}
    hit.score += 1 / (rrfK + index + 1)
  }

  return [...hits.values()].sort(
    (a, b) =>
      b.score - a.score ||
      (b.vector?.similarity ?? -Infinity) - (a.vector?.similarity ?? -Infinity) ||
      (b.bm25?.score ?? 0) - (a.bm25?.score ?? 0) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  )
}

/**
 * Whether a hit is evidence worth answering from: it matched a query term (BM25), or its vector is at least
 * `minSimilarity` from the query's. Retrieval with no such hit makes `ask` abstain without calling the model.
 */
export function isRelevant(hit: Pick<SearchHit, 'bm25' | 'vector'>, minSimilarity: number): boolean {
  return hit.bm25 !== undefined || (hit.vector?.similarity ?? -1) >= minSimilarity
}
