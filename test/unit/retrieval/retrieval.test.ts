import {describe, expect, it} from 'vitest'

import {chunkDocument, fuseRankings, htmlToText, isRelevant} from '../../../src/lib/retrieval/index.js'

describe('fuseRankings', () => {
  it('adds 1/(k + rank) over the legs, and breaks ties by similarity, BM25 score, then id', () => {
    const fused = fuseRankings(
      [
        {id: 'a', score: 9},
        {id: 'b', score: 5},
      ],
      [
        {id: 'b', score: 0.9},
        {id: 'c', score: 0.8},
        {id: 'a', score: 0.1},
      ],
      60,
    )
    expect(fused.map((hit) => hit.id)).toEqual(['b', 'a', 'c'])
    expect(fused[0]).toMatchObject({score: 1 / 62 + 1 / 61, bm25: {rank: 2, score: 5}, vector: {rank: 1, similarity: 0.9}})
    // Equal fused scores: the nearer vector wins.
    const tie = fuseRankings([{id: 'x', score: 1}], [{id: 'y', score: 0.99}], 60)
    expect(tie.map((hit) => hit.id)).toEqual(['y', 'x'])
  })

  it('counts a hit as relevant when a term matched or its vector is near enough', () => {
    expect(isRelevant({bm25: {rank: 3, score: 0.1}}, 0.5)).toBe(true)
    expect(isRelevant({vector: {rank: 1, similarity: 0.49}}, 0.5)).toBe(false)
    expect(isRelevant({vector: {rank: 1, similarity: 0.5}}, 0.5)).toBe(true)
  })
})

describe('htmlToText', () => {
  it('keeps the readable text, block elements as paragraphs, and decodes entities', () => {
    const html = '<html><head><title>t</title><style>p{}</style></head><body><!-- c --><h1>Gout</h1><p>Urate &lt; 6 mg/dL&nbsp;&amp; <b>allopurinol</b>.</p><ul><li>One</li><li>Two&#x2019;s</li></ul><script>alert(1)</script></body></html>'
    expect(htmlToText(html)).toBe('Gout\n\nUrate < 6 mg/dL & allopurinol.\n\nOne\n\nTwo’s')
  })
})

describe('chunkDocument', () => {
  it('keeps every chunk as an exact slice of the document, in order, within the budget', () => {
    const text = Array.from({length: 30}, (_, i) => `Section ${i}:\nThe patient had finding number ${i} today.`).join('\n\n')
    const count = (piece: string): number => piece.split(/\s+/).filter(Boolean).length
    const chunks = chunkDocument(text, count, 20)
    expect(chunks.length).toBeGreaterThan(5)
    for (const [i, chunk] of chunks.entries()) {
      expect(chunk.chunk).toBe(i)
      expect(chunk.text).toBe(text.slice(chunk.start, chunk.end))
      expect(count(chunk.text)).toBeLessThanOrEqual(20)
      if (i > 0) expect(chunk.start).toBeGreaterThanOrEqual(chunks[i - 1].end)
    }
  })
})
