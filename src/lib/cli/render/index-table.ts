import type {SearchHit} from '../../retrieval/index.js'
import type {AddToIndexResult, IndexListing} from '../../use-cases/index.js'

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)))
  return [header, ...rows].map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ')).join('\n')
}

const oneLine = (text: string, width: number): string => {
  const flat = text.replaceAll(/\s+/g, ' ').trim()
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat
}

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`

/** The summary line of `index add`: what was added, updated and skipped, and the rate. */
export function renderAddSummary(result: AddToIndexResult): string {
  const seconds = result.durationMs / 1000
  return (
    `${plural(result.documents, 'document')}: ${result.added} added, ${result.updated} updated, ${result.unchanged} unchanged; ` +
    `${plural(result.chunks, 'chunk')} indexed in ${seconds.toFixed(1)} s (${Math.round(result.chunksPerSecond)} chunks/s); ` +
    `${plural(result.totalChunks, 'chunk')} in ${result.indexDir}`
  )
}

/** The table of `index ls`: one row per document. */
export function renderIndexListing(listing: IndexListing): string {
  const rows = listing.documents.map((doc) => [doc.doc, String(doc.chunks), String(doc.chars), doc.indexedAt.slice(0, 19).replace('T', ' '), doc.hash.slice(0, 12)])
  const head = `${listing.indexDir}: ${listing.documents.length} documents, ${listing.totalChunks} chunks, embeddings by ${listing.meta.embedModel} (${listing.meta.dimensions} dimensions)`
  return rows.length === 0 ? head : `${head}\n${table(['DOC', 'CHUNKS', 'CHARS', 'INDEXED', 'SHA256'], rows)}`
}

/** The table of `index search`: rank, fused score, the chunk and its offsets, each leg's rank, and the text's start. */
export function renderSearchHits(hits: SearchHit[], width = 60): string {
  if (hits.length === 0) return 'no chunk matched'
  const rows = hits.map((hit, index) => [
    String(index + 1),
    hit.score.toFixed(4),
    `${hit.doc}#${hit.chunk}`,
    `${hit.start}-${hit.end}`,
    hit.bm25 ? String(hit.bm25.rank) : '-',
    hit.vector ? `${hit.vector.rank} (${hit.vector.similarity.toFixed(2)})` : '-',
    oneLine(hit.text, width),
  ])
  return table(['#', 'SCORE', 'CHUNK', 'CHARS', 'BM25', 'VECTOR (COS)', 'TEXT'], rows)
}
