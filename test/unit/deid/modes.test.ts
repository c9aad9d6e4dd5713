import fc from 'fast-check'
import {beforeAll, describe, expect, it} from 'vitest'

import {
  dayOffset,
  DEID_MODES,
  loadFaker,
  mergeSpans,
  PHI_CATEGORIES,
  readDateValue,
  replaceSpans,
  type DeidMode,
  type PhiSpan,
  type ReplaceContext,
} from '../../../src/lib/deid/index.js'

type Faker = Awaited<ReturnType<typeof loadFaker>>
let faker: Faker
const key = Buffer.from('a test key of sixteen characters or more')

beforeAll(async () => {
  faker = await loadFaker()
})

const context = (mode: DeidMode, patient: string): ReplaceContext => ({mode, key, patient, dayOffset: dayOffset(key, patient), faker})
const surrogate = (category: PhiSpan['category'], original: string, patient: string): string =>
  replaceSpans(original, [{category, start: 0, end: original.length, source: 'rule'}], context('surrogate', patient)).deidText

const spanArbitrary = (length: number) =>
  fc
    .tuple(fc.nat(length), fc.nat(length), fc.constantFrom(...PHI_CATEGORIES), fc.constantFrom('rule' as const, 'model' as const))
    .map(([a, b, category, source]): PhiSpan => ({category, source, start: Math.min(a, b), end: Math.max(a, b)}))

describe('mergeSpans (property)', () => {
  it('returns sorted, disjoint spans that cover every input span', () => {
    fc.assert(
      fc.property(fc.array(spanArbitrary(60), {maxLength: 20}), (spans) => {
        const merged = mergeSpans(spans)
        for (const [i, span] of merged.entries()) {
          expect(span.start).toBeLessThan(span.end)
          if (i > 0) expect(span.start).toBeGreaterThanOrEqual(merged[i - 1].end)
        }

        for (const span of spans.filter((s) => s.end > s.start)) expect(merged.some((m) => m.start <= span.start && span.end <= m.end)).toBe(true)
      }),
      {numRuns: 300},
    )
  })

  it('keeps the category of the longest span, a rule over the model on a tie', () => {
    expect(mergeSpans([
      {category: 'name', start: 0, end: 4, source: 'model'},
      {category: 'mrn', start: 2, end: 10, source: 'rule'},
    ])).toEqual([{category: 'mrn', start: 0, end: 10, source: 'rule'}])
    expect(mergeSpans([
      {category: 'id', start: 0, end: 4, source: 'model'},
      {category: 'mrn', start: 0, end: 4, source: 'rule'},
    ])).toEqual([{category: 'mrn', start: 0, end: 4, source: 'rule'}])
  })
})

describe('replaceSpans (property)', () => {
  it('replaces exactly the spans: deid offsets hold the replacement, the text between spans is unchanged', () => {
    fc.assert(
      fc.property(fc.string({minLength: 1, maxLength: 80}), fc.array(spanArbitrary(80), {maxLength: 8}), fc.constantFrom(...DEID_MODES), (text, raw, mode) => {
        const spans = mergeSpans(raw.map((span) => ({...span, start: Math.min(span.start, text.length), end: Math.min(span.end, text.length)})))
        const {deidText, spans: out, replacements} = replaceSpans(text, spans, context(mode, 'p'))
        let at = 0
        let deidAt = 0
        for (const [i, span] of out.entries()) {
          expect(deidText.slice(deidAt, span.deidStart)).toBe(text.slice(at, span.start))
          expect(deidText.slice(span.deidStart, span.deidEnd)).toBe(replacements[i].replacement)
          expect(replacements[i].original).toBe(text.slice(span.start, span.end))
          at = span.end
          deidAt = span.deidEnd
        }

        expect(deidText.slice(deidAt)).toBe(text.slice(at))
      }),
      {numRuns: 300},
    )
  })

  it('masks with the category, redacts with [REDACTED], hashes the same across patients', () => {
    const text = 'MRN 1234567'
    const spans: PhiSpan[] = [{category: 'mrn', start: 4, end: 11, source: 'rule'}]
    expect(replaceSpans(text, spans, context('mask', 'a')).deidText).toBe('MRN [MRN]')
    expect(replaceSpans(text, spans, context('redact', 'a')).deidText).toBe('MRN [REDACTED]')
    const hashed = replaceSpans(text, spans, context('hash', 'a')).deidText
    expect(hashed).toMatch(/^MRN \[MRN:[\da-f]{16}]$/)
    expect(replaceSpans(text, spans, context('hash', 'b')).deidText).toBe(hashed)
    expect(replaceSpans(text, spans, {...context('hash', 'a'), key: Buffer.from('another key of sixteen characters')}).deidText).not.toBe(hashed)
  })
})

describe('surrogates (property)', () => {
  const names = fc.tuple(fc.constantFrom('Ana', 'Zebulon', 'Brian', 'Maria', 'Li'), fc.constantFrom('Lopez', 'Quixtar', 'Smith', 'Okafor', 'Nguyen')).map(([a, b]) => `${a} ${b}`)
  const mrns = fc.stringMatching(/^[A-Z]{2}\d{7}$/)

  it('gives the same surrogate for the same original within a patient, in any case', () => {
    fc.assert(
      fc.property(names, mrns, fc.string({minLength: 1, maxLength: 8}), (name, mrn, patient) => {
        expect(surrogate('name', name, patient)).toBe(surrogate('name', name, patient))
        expect(surrogate('name', name.toUpperCase(), patient)).toBe(surrogate('name', name, patient).toUpperCase())
        expect(surrogate('mrn', mrn, patient)).toBe(surrogate('mrn', mrn, patient))
        // A part of a name gets the surrogate of that part.
        expect(surrogate('name', name, patient).split(' ')[1]).toBe(surrogate('name', `X ${name.split(' ')[1]}`, patient).split(' ')[1])
      }),
      {numRuns: 100},
    )
  })

  it('gives a name word alone the surrogate it has inside the full name of the same text', () => {
    fc.assert(
      fc.property(names, fc.string({minLength: 1, maxLength: 8}), (name, patient) => {
        const [given, surname] = name.split(' ')
        const text = `${name} came. ${surname} is stable; ${given} agrees.`
        const spans = [0, text.indexOf(`${surname} is`), text.indexOf(`${given} agrees`)].map((start, i) => ({
          category: 'name' as const,
          source: 'rule' as const,
          start,
          end: start + [name, surname, given][i].length,
        }))
        const [full, alone, givenAlone] = replaceSpans(text, spans, context('surrogate', patient)).replacements.map((r) => r.replacement)
        expect([alone, givenAlone]).toEqual([full.split(' ')[1], full.split(' ')[0]])
      }),
      {numRuns: 100},
    )
  })

  it('gives another surrogate in another patient', () => {
    let same = 0
    fc.assert(
      fc.property(mrns, fc.integer({min: 0, max: 1e6}), (mrn, n) => {
        const a = surrogate('mrn', mrn, `p${n}`)
        const b = surrogate('mrn', mrn, `q${n}`)
        expect(a).toMatch(/^[A-Z]{2}\d{7}$/)
        expect(a).not.toBe(b)
        if (surrogate('name', 'Ana Lopez', `p${n}`) === surrogate('name', 'Ana Lopez', `q${n}`)) same++
      }),
      {numRuns: 200},
    )
    // Names come from faker's lists of a few thousand, so a rare collision is possible; never a systematic one.
    expect(same).toBeLessThan(5)
  })

  it('keeps the layout of numbers and never returns the original', () => {
    expect(surrogate('phone', '(617) 555-0134', 'p')).toMatch(/^\(\d{3}\) \d{3}-\d{4}$/)
    expect(surrogate('ssn', '123-45-6789', 'p')).toMatch(/^\d{3}-\d{2}-\d{4}$/)
    expect(surrogate('age', '92', 'p')).toBe('90')
    expect(surrogate('email', 'ana@example.org', 'p')).toMatch(/@/)
  })
})

describe('date shift (property)', () => {
  const day = 86_400_000
  const dates = fc.date({min: new Date('1950-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true})
  const formats = [
    (d: Date) => `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${String(d.getUTCFullYear())}`,
    (d: Date) => d.toISOString().slice(0, 10),
    (d: Date) => `${String(d.getUTCDate()).padStart(2, '0')}-${d.toUTCString().slice(8, 11)}-${d.getUTCFullYear()}`,
  ]

  it('moves every date of a patient by the same offset, so intervals are kept, in every mode that shifts', () => {
    fc.assert(
      fc.property(dates, dates, fc.nat(2), fc.nat(2), fc.string({maxLength: 6}), fc.constantFrom('surrogate' as const, 'date-shift' as const), (a, b, fa, fb, patient, mode) => {
        const shift = (text: string): number => readDateValue(replaceSpans(text, [{category: 'date', start: 0, end: text.length, source: 'rule'}], context(mode, patient)).deidText)!
        const [ta, tb] = [formats[fa](a), formats[fb](b)]
        const interval = readDateValue(tb)! - readDateValue(ta)!
        expect(shift(tb) - shift(ta)).toBe(interval)
        const offset = (shift(ta) - readDateValue(ta)!) / day
        expect(offset).toBe(dayOffset(key, patient))
        expect(Math.abs(offset)).toBeGreaterThanOrEqual(1)
        expect(Math.abs(offset)).toBeLessThanOrEqual(365)
      }),
      {numRuns: 300},
    )
  })

  it('keeps the format: 3/4/21 stays M/D/YY', () => {
    const out = replaceSpans('3/4/21', [{category: 'date', start: 0, end: 6, source: 'rule'}], context('date-shift', 'p')).deidText
    expect(out).toMatch(/^\d{1,2}\/\d{1,2}\/\d{2}$/)
    expect(out).not.toBe('3/4/21')
  })
})
