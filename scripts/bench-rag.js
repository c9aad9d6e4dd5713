#!/usr/bin/env node
// Retrieval benchmark on PubMedQA (PQA-L test, 500 questions, MIT licence): indexes the 500 abstracts (one NDJSON
// record each), asks each question, and prints recall@1/5/10 of the question's own abstract for BM25 alone, vectors
// alone and hybrid (RRF), the index build time and chunks/s, and retrieval latency p50/p95 (no generation) at the
// 500-abstract index and at a synthetic index of --synthetic-chunks chunks (default 100,000).
//
// Usage: npm run build && node scripts/bench-rag.js [--data FILE] [--embed-model GGUF] [--synthetic-chunks N] [--json]
// Without --embed-model it synthesizes a random-weight embedding model (the project's GGUF writer): its vectors
// carry no meaning, so the vector leg is near chance (1/500 at recall@1) and only BM25 says anything about quality.
// The data is read where it lies and never copied into the repository. Progress goes to stderr, results to stdout.
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {loadavg, tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {parseArgs} from 'node:util'
import {readFile} from 'node:fs/promises'

const lib = (module) => import(new URL(`../dist/lib/${module}/index.js`, import.meta.url).href)
const log = (text) => process.stderr.write(`${text}\n`)

const {values: args} = parseArgs({
  options: {
    data: {type: 'string', default: resolve('../shared/data/bench/pubmedqa_test.json')},
    'embed-model': {type: 'string'},
    'embed-shape': {type: 'string', default: 'embd=384,layers=2,heads=6,kv=6,ff=768,vocab=4096,ctx=2048'},
    'synthetic-chunks': {type: 'string', default: '100000'},
    'chunk-tokens': {type: 'string', default: '256'},
    threads: {type: 'string', default: '1'},
    json: {type: 'boolean', default: false},
  },
})

const {synthesizeModel, parseShape} = await lib('gguf')
const {createEmbedder, normalizeVector} = await lib('engine')
const {IndexStore, searchIndex, VECTOR_INDEX_MIN_ROWS} = await lib('retrieval')
const {addToIndex} = await lib('use-cases')

const work = await mkdtemp(join(tmpdir(), 'jsl-med-bench-rag-'))
try {
  const data = JSON.parse(await readFile(args.data, 'utf8'))
  const questions = Object.entries(data).map(([pmid, item]) => ({pmid, question: item.QUESTION, abstract: item.CONTEXTS.join('\n\n')}))
  log(`PubMedQA: ${questions.length} questions and abstracts from ${args.data}`)
  let embedModel = args['embed-model']
  if (!embedModel) {
    embedModel = join(work, 'embed.gguf')
    await synthesizeModel({path: embedModel, shape: parseShape(args['embed-shape']), seed: 3, pooling: 'mean'})
    log(`synthetic embedding model (${args['embed-shape']}, random weights)`)
  }

  const threads = Number(args.threads)
  const docs = join(work, 'abstracts.ndjson')
  await writeFile(docs, questions.map((q) => JSON.stringify({id: q.pmid, text: q.abstract})).join('\n') + '\n')
  const indexDir = join(work, 'index')
  const load = [loadavg()[0]]
  const built = await addToIndex({indexDir, paths: [docs], engine: 'llama', embedModel, gpu: 'off', threads, chunkTokens: Number(args['chunk-tokens'])})
  load.push(loadavg()[0])
  log(`indexed ${built.documents} abstracts, ${built.chunks} chunks in ${(built.durationMs / 1000).toFixed(1)} s`)

  const embedder = await createEmbedder({modelPath: embedModel, threads, gpu: 'off'})
  const store = await IndexStore.open(indexDir)
  const modes = ['bm25', 'vector', 'hybrid']
  const recall = Object.fromEntries(modes.map((mode) => [mode, {1: 0, 5: 0, 10: 0}]))
  // The query's embedding is timed apart from the search legs: it measures the embedding model, not the index.
  const vectors = []
  const embedMs = []
  for (const q of questions) {
    const started = performance.now()
    vectors.push(await embedder.embed(q.question))
    embedMs.push(performance.now() - started)
  }

  const latency = await timeQueries(store, questions, vectors, 30, (mode, i, hits) => {
    const rank = [...new Set(hits.map((hit) => hit.doc))].indexOf(questions[i].pmid)
    for (const k of [1, 5, 10]) if (rank !== -1 && rank < k) recall[mode][k]++
  })

  store.close()
  load.push(loadavg()[0])
  const small = summarize({...latency, embed: embedMs})
  const n = questions.length
  const recallTable = Object.fromEntries(modes.map((mode) => [mode, Object.fromEntries([1, 5, 10].map((k) => [`@${k}`, recall[mode][k] / n]))]))

  // The synthetic index: chunks made of abstract sentences in random order (a realistic vocabulary for BM25) and
  // random unit vectors of the model's dimensions (embedding 100,000 chunks would measure the model, not the index).
  const target = Number(args['synthetic-chunks'])
  const sentences = questions.flatMap((q) => q.abstract.split(/(?<=[.!?])\s+/)).filter((s) => s.length > 20)
  const random = mulberry32(42)
  const bigDir = join(work, 'synthetic')
  const big = await IndexStore.open(bigDir, {embedModel, dimensions: embedder.info.dimensions, chunkTokens: 256})
  const writeStarted = performance.now()
  for (let written = 0; written < target; ) {
    const count = Math.min(10_000, target - written)
    const documents = []
    const chunks = []
    for (let i = 0; i < count; i += 10) {
      const doc = `s${written + i}`
      for (let c = 0; c < 10 && i + c < count; c++) {
        const text = Array.from({length: 4}, () => sentences[Math.floor(random() * sentences.length)]).join(' ')
        const vector = normalizeVector(Float32Array.from({length: embedder.info.dimensions}, () => random() - 0.5))
        chunks.push({id: `${doc}#${c}`, doc, chunk: c, start: 0, end: text.length, text, vector})
      }

      documents.push({doc, source: 'synthetic', hash: doc, chunks: Math.min(10, count - i), chars: 0, indexedAt: new Date().toISOString()})
    }

    await big.putDocuments(documents, chunks)
    written += count
    log(`synthetic index: ${written} chunks`)
  }

  await big.optimize()
  const writeMs = performance.now() - writeStarted
  const bigLoad = [loadavg()[0]]
  const bigLatency = await timeQueries(big, questions, vectors, 10)

  bigLoad.push(loadavg()[0])
  const bigChunks = await big.countChunks()
  const bigChunksIndexed = bigChunks >= VECTOR_INDEX_MIN_ROWS ? 'IVF-PQ (refine ×5)' : 'none (exact scan)'
  big.close()
  await embedder.dispose()
  const result = {
    dataset: {name: 'PubMedQA PQA-L test', questions: n},
    embedModel: args['embed-model'] ?? `synthetic ${args['embed-shape']} (random weights)`,
    chunkTokens: Number(args['chunk-tokens']),
    build: {documents: built.documents, chunks: built.chunks, seconds: built.durationMs / 1000, chunksPerSecond: built.chunksPerSecond, load1: load.slice(0, 2)},
    recall: recallTable,
    latencyMs: {chunks: built.chunks, ...small, load1: load.slice(1)},
    vectorIndex: bigChunksIndexed,
    synthetic: {chunks: bigChunks, writeSeconds: writeMs / 1000, chunksPerSecond: bigChunks / (writeMs / 1000), latencyMs: summarize(bigLatency), load1: bigLoad},
  }
  if (args.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n')
  else process.stdout.write(render(result))
} finally {
  await rm(work, {recursive: true, force: true})
}

/** Times each leg and the fused search per question (query vectors computed already); `onHits` sees the results. */
async function timeQueries(index, questions, vectors, limit, onHits = () => {}) {
  const latency = {bm25: [], vector: [], hybrid: []}
  for (const [i, q] of questions.entries()) {
    for (const mode of Object.keys(latency)) {
      const started = performance.now()
      const hits = await searchIndex(index, undefined, q.question, {mode, limit, queryVector: vectors[i]})
      latency[mode].push(performance.now() - started)
      onHits(mode, i, hits)
    }
  }

  return latency
}

function summarize(latency) {
  const pick = (values, q) => {
    const sorted = [...values].sort((a, b) => a - b)
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
  }

  return Object.fromEntries(Object.entries(latency).map(([mode, values]) => [mode, {p50: pick(values, 0.5), p95: pick(values, 0.95)}]))
}

function render(r) {
  const f = (x, d = 3) => x.toFixed(d)
  const lines = [
    `PubMedQA retrieval, ${r.dataset.questions} questions; embeddings: ${r.embedModel}`,
    '',
    '| leg | recall@1 | recall@5 | recall@10 |',
    '| --- | --- | --- | --- |',
    ...Object.entries(r.recall).map(([mode, k]) => `| ${mode} | ${f(k['@1'])} | ${f(k['@5'])} | ${f(k['@10'])} |`),
    '',
    `Index build: ${r.build.documents} abstracts, ${r.build.chunks} chunks (≤ ${r.chunkTokens} tokens) in ${f(r.build.seconds, 1)} s, ${Math.round(r.build.chunksPerSecond)} chunks/s (embedding included; load ${r.build.load1.map((l) => l.toFixed(2)).join(' → ')})`,
    `Synthetic index: ${r.synthetic.chunks} chunks written and indexed (full-text; vectors: ${r.vectorIndex}) in ${f(r.synthetic.writeSeconds, 1)} s (${Math.round(r.synthetic.chunksPerSecond)} chunks/s, vectors random, not computed)`,
    '',
    `Query embedding (the synthetic model, once per question): p50 ${f(r.latencyMs.embed.p50, 1)} ms, p95 ${f(r.latencyMs.embed.p95, 1)} ms; add it to the vector and hybrid figures for end-to-end retrieval.`,
    '',
    '| retrieval latency (ms, no generation, query vector given) | bm25 p50 | bm25 p95 | vector p50 | vector p95 | hybrid p50 | hybrid p95 | load (1 min) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    row(`${r.latencyMs.chunks} chunks`, r.latencyMs, r.latencyMs.load1),
    row(`${r.synthetic.chunks} chunks`, r.synthetic.latencyMs, r.synthetic.load1),
    '',
  ]
  return lines.join('\n')
  function row(name, l, load) {
    return `| ${name} | ${f(l.bm25.p50, 1)} | ${f(l.bm25.p95, 1)} | ${f(l.vector.p50, 1)} | ${f(l.vector.p95, 1)} | ${f(l.hybrid.p50, 1)} | ${f(l.hybrid.p95, 1)} | ${load.map((x) => x.toFixed(2)).join(' → ')} |`
  }
}

function mulberry32(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}
