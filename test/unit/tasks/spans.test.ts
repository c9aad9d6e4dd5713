import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {alignSpans, createSpanAligner} from '../../../src/lib/tasks/index.js'

function expectExact(source: string, spans: ReturnType<typeof alignSpans>): void {
  for (const span of spans) {
    if (span) {
      expect(span.text).toBe(source.slice(span.start, span.end))
      expect(span.start).toBeLessThan(span.end)
    }
  }
}

describe('span aligner (hand-made cases)', () => {
  it('finds an exact mention', () => {
    const source = 'Pt denies chest pain.'
    expect(alignSpans(source, ['chest pain'])).toEqual([{start: 10, end: 20, text: 'chest pain'}])
  })

  it('resolves repeated mentions in order, and drops a repetition with no occurrence left', () => {
    const source = 'pain in the knee, pain in the back'
    const spans = alignSpans(source, ['pain', 'pain', 'pain'])
    expect(spans.map((span) => span?.start)).toEqual([0, 18, undefined])
    expectExact(source, spans)
  })

  it('lets different mentions overlap', () => {
    const source = 'Severe chest pain radiating to the left arm.'
    const spans = alignSpans(source, ['chest pain', 'pain', 'left arm', 'arm'])
    expect(spans.map((span) => span && [span.start, span.end, span.text])).toEqual([
      [7, 17, 'chest pain'],
      [13, 17, 'pain'],
      [35, 43, 'left arm'],
      [40, 43, 'arm'],
    ])
  })

  it('tolerates case differences and reports the source text', () => {
    const source = 'Started METFORMIN 500 mg; Metformin was tolerated.'
    const spans = alignSpans(source, ['metformin', 'metformin 500 MG', 'METFORMIN'])
    expect(spans.map((span) => span?.text)).toEqual(['METFORMIN', 'METFORMIN 500 mg', 'Metformin'])
    expectExact(source, spans)
  })

  it('tolerates whitespace differences (runs, tabs, newlines, leading and trailing space)', () => {
    const source = 'History of\n  congestive   heart\tfailure.'
    const spans = alignSpans(source, ['congestive heart failure', '  of congestive\nheart  ', 'history  of'])
    expect(spans.map((span) => span?.text)).toEqual(['congestive   heart\tfailure', 'of\n  congestive   heart', 'History of'])
    expectExact(source, spans)
  })

  it('drops proposals that are not in the source, empty, or without a letter or digit', () => {
    const source = 'No fever. BP 120/80.'
    expect(alignSpans(source, ['cough', '', '   ', '.', '/', 'fever, chills', 'BP 120/80'])).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      {start: 10, end: 19, text: 'BP 120/80'},
    ])
  })

  it('prefers a whole-word occurrence over one inside a longer word', () => {
    const source = 'painful swelling, no pain at rest'
    expect(alignSpans(source, ['pain'])[0]).toMatchObject({start: 21, end: 25})
    // Only an occurrence inside a word: it is still found.
    expect(alignSpans('painful', ['pain'])[0]).toMatchObject({start: 0, end: 4, text: 'pain'})
  })

  it('handles text beyond the BMP and case mappings that change length, never splitting a surrogate pair', () => {
    const source = 'Ünïcode 😀 pain; İSTANBUL trip; 𝔘 symbol'
    const spans = alignSpans(source, ['😀 PAIN', 'istanbul', 'i̇stanbul', '𝔘 symbol', 'ünïcode'])
    expect(spans.map((span) => span?.text)).toEqual(['😀 pain', undefined, 'İSTANBUL', '𝔘 symbol', 'Ünïcode'])
    expectExact(source, spans)
  })

  it('locate finds a quote without claiming it, so a sentence can be cited twice', () => {
    const aligner = createSpanAligner('He has a cough. She has none.')
    expect(aligner.locate('he has a cough.')).toMatchObject({start: 0, end: 15})
    expect(aligner.locate('He has a cough.')).toMatchObject({start: 0, end: 15})
    expect(aligner.find('cough')).toMatchObject({start: 9})
    expect(aligner.find('cough')).toBeUndefined()
  })
})

// Proposals as a model would make them: substrings of the source, perhaps with changed case or whitespace, and junk.
const sourceArb = fc.oneof(
  fc.string({unit: fc.constantFrom('a', 'b', 'A', ' ', '\n', 'é', 'İ', '😀', '.', 'pain ', 'Pain\t')}),
  fc.string({unit: 'grapheme'}),
  fc.string(),
)

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

describe('span aligner (properties)', () => {
  it('every span it returns is an exact slice of the source', () => {
    fc.assert(
      fc.property(sourceArb, fc.array(fc.oneof(fc.string(), fc.string({unit: 'grapheme'})), {maxLength: 8}), (source, junk) => {
        const proposals = [...junk, ...junk.map((j) => j.toUpperCase())]
        expectExact(source, alignSpans(source, proposals))
      }),
      {numRuns: 300},
    )
  })

  it('finds every substring that holds a letter or digit, also with case and whitespace changed', () => {
    fc.assert(
      fc.property(sourceArb, fc.nat(), fc.nat(), fc.boolean(), (source, a, b, upper) => {
        const start = source.length === 0 ? 0 : a % source.length
        const end = start + (source.length === 0 ? 0 : b % (source.length - start + 1))
        let proposal = source.slice(start, end)
        if (LONE_SURROGATE.test(proposal)) return // half of a surrogate pair: no model can propose it
        if (!/[\p{L}\p{N}]/u.test(proposal)) return
        proposal = proposal.replaceAll(/\s+/g, '  ')
        // Upper case only where it round-trips ('ß' becomes 'SS', which is not a case variant of the source).
        if (upper && proposal.toUpperCase().toLowerCase() === proposal.toLowerCase()) proposal = proposal.toUpperCase()
        const [span] = alignSpans(source, [proposal])
        expect(span).toBeDefined()
        expect(span!.text).toBe(source.slice(span!.start, span!.end))
      }),
      {numRuns: 300},
    )
  })

  it('resolves n copies of a proposal to n distinct, ordered occurrences', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('pain', 'fever', 'and', ' ', '\n', 'X'), {maxLength: 30}), fc.integer({min: 1, max: 6}), (parts, copies) => {
        const source = parts.join(' ')
        const spans = alignSpans(source, Array.from({length: copies}, () => 'pain')).filter((span) => span !== undefined)
        const occurrences = source.match(/pain/g)?.length ?? 0
        expect(spans).toHaveLength(Math.min(copies, occurrences))
        for (let i = 1; i < spans.length; i++) expect(spans[i].start).toBeGreaterThanOrEqual(spans[i - 1].end)
      }),
    )
  })
})
