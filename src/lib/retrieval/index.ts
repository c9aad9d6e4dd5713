// The retrieval index of `index`, `ask` and `chat`: documents read from files, cut into chunks with offsets, stored
// in LanceDB (embedded, on disk, incremental) and searched by BM25, by vectors, or both fused.
export {chunkDocument} from './chunk.js'
export type {DocumentChunk} from './chunk.js'
export {readDocuments} from './documents.js'
export type {DocumentFormat, ReadDocumentsOptions, SourceDocument} from './documents.js'
export {htmlToText} from './html.js'
export {fuseRankings, isRelevant, searchIndex} from './search.js'
export type {SearchHit, SearchMode, SearchOptions} from './search.js'
export {IndexStore, VECTOR_INDEX_MIN_ROWS} from './store.js'
export type {ChunkRow, DocumentRow, IndexMeta, LegHit, StoredChunk} from './store.js'
