import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {createEmbedder, type Embedder} from '../../src/lib/engine/index.js'
import {IndexStore, searchIndex} from '../../src/lib/retrieval/index.js'
import {addToIndex, listIndex, mergeIndexes, removeFromIndex} from '../../src/lib/use-cases/index.js'
import {makePdf} from '../helpers/pdf.js'

// Common clinical words every document shares, so that only the rare terms tell them apart.
const FILLER = 'The patient was seen in clinic today and the plan was discussed with the patient and the family.'
const TOPICS = [
  'hypertension treated with lisinopril',
  'type 2 diabetes managed with metformin',
  'atrial fibrillation on apixaban',
  'community acquired pneumonia given ceftriaxone',
  'mantle cell lymphoma started on zanubrutinib after relapse',
  'asthma exacerbation treated with albuterol',
  'chronic kidney disease stage 3 followed by nephrology',
  'hypothyroidism on levothyroxine',
]

describe('the retrieval index on a synthetic embedding model', () => {
  let dir: string
  let indexDir: string
  let embedder: Embedder
  const embedModel = inject('tinyEmbedModelPath')

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsl-med-index-'))
    indexDir = join(dir, 'index')
    for (const [i, topic] of TOPICS.entries()) {
      await writeFile(join(dir, `note-${i}.txt`), `Assessment: ${topic}.\n\n${FILLER}\n\nPlan: follow up in ${i + 2} weeks for ${topic}.`)
    }

    await writeFile(join(dir, 'leaflet.html'), '<html><head><script>var x = 1</script></head><body><h1>Gout</h1><p>Allopurinol lowers urate &amp; prevents flares.</p></body></html>')
    await writeFile(join(dir, 'protocol.pdf'), makePdf(['Sepsis bundle: lactate, blood cultures, broad spectrum antibiotics.', 'Reassess volume status within six hours.']))
    await writeFile(join(dir, 'records.ndjson'), [{id: 'r1', text: 'Warfarin dosing is guided by the INR.'}, {id: 'r2', text: 'Osimertinib targets EGFR mutations.'}].map((r) => JSON.stringify(r)).join('\n') + '\n')
    embedder = await createEmbedder({modelPath: embedModel, threads: 1, gpu: 'off'})
  })

  afterAll(async () => {
    await embedder?.dispose()
    await rm(dir, {recursive: true, force: true})
  })

  it('reads text, HTML, PDF and NDJSON documents, with offsets into each', async () => {
    const result = await addToIndex({indexDir, paths: [dir], engine: 'llama', embedModel, gpu: 'off', threads: 1, chunkTokens: 48})
    expect(result).toMatchObject({documents: TOPICS.length + 4, added: TOPICS.length + 4, updated: 0, unchanged: 0})
    expect(result.totalChunks).toBe(result.chunks)
    const {documents} = await listIndex(indexDir)
    expect(documents.map((d) => d.doc)).toEqual(expect.arrayContaining(['r1', 'r2', join(dir, 'leaflet.html'), join(dir, 'protocol.pdf')]))
    const store = await IndexStore.open(indexDir)
    try {
      const html = await store.getChunks([`${join(dir, 'leaflet.html')}#0`])
      expect(html[0].text).toContain('Allopurinol lowers urate & prevents flares.')
      expect(html[0].text).not.toContain('var x')
      const pdf = await store.getChunks([`${join(dir, 'protocol.pdf')}#0`])
      expect(pdf[0].text).toContain('Sepsis bundle')
      // Long notes are cut into several chunks with increasing offsets.
      expect(documents.find((d) => d.doc === join(dir, 'note-0.txt'))!.chunks).toBeGreaterThan(1)
    } finally {
      store.close()
    }
  })

  it("retrieves every chunk first from the chunk's own text, by vectors and hybrid", async () => {
    const store = await IndexStore.open(indexDir)
    try {
      const ids = (await store.listDocuments()).flatMap((d) => Array.from({length: d.chunks}, (_, i) => `${d.doc}#${i}`))
      const chunks = await store.getChunks(ids)
      expect(chunks.length).toBe(ids.length)
      const copies = new Map<string, number>()
      for (const chunk of chunks) copies.set(chunk.text, (copies.get(chunk.text) ?? 0) + 1)
      for (const chunk of chunks) {
        const [vector] = await searchIndex(store, embedder, chunk.text, {mode: 'vector', limit: 1})
        const [hybrid] = await searchIndex(store, embedder, chunk.text, {limit: 1})
        expect(vector.vector!.similarity).toBeCloseTo(1, 4)
        // A text found in several documents retrieves one of its copies first; any other text, its own chunk.
        for (const hit of [vector, hybrid]) {
          expect(hit.text).toBe(chunk.text)
          if (copies.get(chunk.text) === 1) expect(hit.id).toBe(chunk.id)
        }
      }
    } finally {
      store.close()
    }
  })

  it("ranks first, by BM25 alone, the document with the query's rare terms", async () => {
    const store = await IndexStore.open(indexDir)
    try {
      const hits = await searchIndex(store, undefined, 'patient clinic plan zanubrutinib relapse', {mode: 'bm25', limit: 5})
      expect(hits[0].doc).toBe(join(dir, 'note-4.txt'))
      expect(hits[0].bm25!.rank).toBe(1)
      const records = await searchIndex(store, undefined, 'osimertinib EGFR', {mode: 'bm25', limit: 3})
      expect(records[0].doc).toBe('r2')
      expect(await searchIndex(store, undefined, 'xylophone', {mode: 'bm25'})).toEqual([])
    } finally {
      store.close()
    }
  })

  it('indexes a changed file again and skips an unchanged one', async () => {
    const before = new Map((await listIndex(indexDir)).documents.map((d) => [d.doc, d]))
    const changed = join(dir, 'note-1.txt')
    await writeFile(changed, 'Assessment: gestational diabetes treated with insulin glargine.')
    const result = await addToIndex({indexDir, paths: [dir], engine: 'llama', embedModel, gpu: 'off', threads: 1})
    expect(result).toMatchObject({documents: before.size, added: 0, updated: 1, unchanged: before.size - 1, chunks: 1})
    const after = new Map((await listIndex(indexDir)).documents.map((d) => [d.doc, d]))
    for (const [doc, row] of after) {
      if (doc === changed) expect(row.hash).not.toBe(before.get(doc)!.hash)
      else expect(row).toEqual(before.get(doc))
    }

    const store = await IndexStore.open(indexDir)
    try {
      const [hit] = await searchIndex(store, undefined, 'glargine', {mode: 'bm25'})
      expect(hit).toMatchObject({doc: changed, chunk: 0})
      expect(await store.getChunks([`${changed}#1`])).toEqual([])
      expect(await searchIndex(store, undefined, 'metformin', {mode: 'bm25'})).toEqual([])
    } finally {
      store.close()
    }
  })

  it('removes documents with their chunks', async () => {
    const {removed, missing} = await removeFromIndex(indexDir, ['r2', 'nope'])
    expect({removed, missing}).toEqual({removed: ['r2'], missing: ['nope']})
    const store = await IndexStore.open(indexDir)
    try {
      expect(await searchIndex(store, undefined, 'osimertinib', {mode: 'bm25'})).toEqual([])
    } finally {
      store.close()
    }
  })

  it('merges shard indexes built by separate runs, copying chunks and vectors without embedding again', async () => {
    const shards = [join(dir, 'shard-0'), join(dir, 'shard-1')]
    await addToIndex({indexDir: shards[0], paths: [join(dir, 'note-0.txt'), join(dir, 'note-2.txt')], engine: 'llama', embedModel, gpu: 'off', threads: 1, chunkTokens: 48})
    await addToIndex({indexDir: shards[1], paths: [join(dir, 'note-4.txt'), join(dir, 'records.ndjson')], engine: 'llama', embedModel, gpu: 'off', threads: 1, chunkTokens: 48})
    const merged = join(dir, 'merged')
    const first = await mergeIndexes(merged, shards)
    const expected = (await listIndex(shards[0])).totalChunks + (await listIndex(shards[1])).totalChunks
    expect(first).toMatchObject({copied: 5, unchanged: 0, totalChunks: expected})
    expect(await mergeIndexes(merged, shards)).toMatchObject({copied: 0, unchanged: 5, totalChunks: expected})
    const store = await IndexStore.open(merged)
    try {
      expect((await searchIndex(store, undefined, 'zanubrutinib', {mode: 'bm25'}))[0].doc).toBe(join(dir, 'note-4.txt'))
      const [chunk] = await store.getChunks([`${join(dir, 'note-2.txt')}#0`])
      const [own] = await searchIndex(store, embedder, chunk.text, {mode: 'vector', limit: 1})
      expect(own).toMatchObject({id: chunk.id})
      expect(own.vector!.similarity).toBeCloseTo(1, 4)
    } finally {
      store.close()
    }
  })
})
