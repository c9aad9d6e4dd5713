import {describe, expect, it} from 'vitest'

import {createEngine} from '../../../src/lib/engine/index.js'
import {runTask} from '../../../src/lib/pipeline/index.js'
import {createSummarizeTask, limitWords, summarizeTask} from '../../../src/lib/tasks/index.js'
import {memoryWriter, sourceOf} from '../../helpers/streams.js'
import {scriptedEngine} from './fake-engine.js'

const settings = {maxTokens: 20, temperature: 0}

function longNote(paragraphs: number, wordsEach: number): string {
  return Array.from({length: paragraphs}, (_, i) => `${i % 5 === 0 ? 'ASSESSMENT:\n' : ''}Paragraph ${i}: ${'word '.repeat(wordsEach).trim()}.`).join('\n\n')
}

describe('summarize task', () => {
  it('summarizes a note that fits in one call, with the note as the user message', async () => {
    const engine = scriptedEngine(() => ({text: ' A short summary. ', stopReason: 'endOfText'}))
    expect(await summarizeTask.run('Pt has CHF.', {engine, settings})).toEqual({summary: 'A short summary.', chunks: 1})
    expect(engine.requests).toHaveLength(1)
    expect(engine.requests[0].user).toBe('Pt has CHF.')
  })

  it('splits a note longer than the context on paragraph boundaries, summarizes each part and merges them', async () => {
    const note = longNote(30, 40)
    const engine = scriptedEngine((request) => ({text: request.system.includes('one part') ? 'part summary' : 'merged summary', stopReason: 'endOfText'}), 600)
    const result = await summarizeTask.run(note, {engine, settings})
    expect(result.summary).toBe('merged summary')
    expect(result.chunks).toBeGreaterThan(2)
    const parts = engine.requests.filter((request) => request.system.includes('one part'))
    expect(parts).toHaveLength(result.chunks)
    // Every part is whole paragraphs of the note, and together they hold all of it, in order.
    expect(parts.map((request) => request.user).join('\n\n')).toBe(note)
    for (const request of parts) expect(request.user).toMatch(/^(?:ASSESSMENT:\n)?Paragraph \d+:[\s\S]*\.$/)
    const merges = engine.requests.filter((request) => request.system.includes('summaries of consecutive parts'))
    expect(merges).toHaveLength(1)
    expect(merges[0].user).toContain(`Part ${result.chunks}:\npart summary`)
  })

  it('merges in several rounds when the partial summaries do not fit one call', async () => {
    const note = longNote(60, 40)
    const engine = scriptedEngine(() => ({text: 'word '.repeat(60).trim(), stopReason: 'maxTokens'}), 400)
    const result = await summarizeTask.run(note, {engine, settings: {maxTokens: 60, temperature: 0}})
    expect(result.chunks).toBeGreaterThan(5)
    const rounds = engine.requests.filter((request) => request.system.includes('summaries of consecutive parts'))
    expect(rounds.length).toBeGreaterThan(1)
    for (const request of engine.requests) expect(engine.countPromptTokens(request) + request.maxTokens).toBeLessThanOrEqual(400)
  })

  it('says when the partial summaries can never be merged within the context', async () => {
    const engine = scriptedEngine(() => ({text: 'word '.repeat(150).trim(), stopReason: 'maxTokens'}), 400)
    await expect(summarizeTask.run(longNote(20, 40), {engine, settings: {maxTokens: 150, temperature: 0}})).rejects.toMatchObject({code: 'E_TOO_LONG', exitCode: 8})
  })

  it('refuses a text that would take more than 256 parts, before calling the model', async () => {
    const engine = scriptedEngine(() => ({text: 'x', stopReason: 'endOfText'}), 400)
    await expect(summarizeTask.run('word '.repeat(100_000), {engine, settings})).rejects.toMatchObject({code: 'E_TOO_LONG', exitCode: 8})
    expect(engine.requests).toHaveLength(0)
  })

  it('records the number of parts only when the note was chunked, and says so in text', () => {
    expect(summarizeTask.toRecord!({summary: 's', chunks: 1})).toEqual({summary: 's'})
    expect(summarizeTask.toRecord!({summary: 's', chunks: 4})).toEqual({summary: 's', summary_chunks: 4})
    expect(summarizeTask.renderText({summary: 's', chunks: 1})).toBe('s')
    expect(summarizeTask.renderText({summary: 's', chunks: 4})).toMatch(/^s\n\n\[Summarized in 4 parts/)
  })

  it('puts the style and the word limit in the prompt, and enforces the limit', async () => {
    const engine = scriptedEngine(() => ({text: 'One two three. Four five six seven eight nine ten.', stopReason: 'endOfText'}))
    const result = await createSummarizeTask({style: 'handoff', maxWords: 5}).run('note', {engine, settings: {maxTokens: 500, temperature: 0}})
    expect(result.summary).toBe('One two three.')
    expect(engine.requests[0].system).toMatch(/I-PASS/)
    expect(engine.requests[0].system).toMatch(/at most 5 words/)
    expect(engine.requests[0].maxTokens).toBe(26)
    await createSummarizeTask({style: 'discharge'}).run('note', {engine, settings})
    expect(engine.requests[1].system).toMatch(/discharge summary/)
  })

  it('refuses a bad style or word limit', () => {
    expect(() => createSummarizeTask({maxWords: 0})).toThrow(expect.objectContaining({exitCode: 2}))
    expect(() => createSummarizeTask({style: 'poem' as never})).toThrow(expect.objectContaining({exitCode: 2}))
  })

  it('cuts to a word limit at a sentence end when one is near, else after the last word allowed', () => {
    expect(limitWords('a b c', 5)).toBe('a b c')
    expect(limitWords('a b c', undefined)).toBe('a b c')
    expect(limitWords('A b. C d e f', 4)).toBe('A b.')
    expect(limitWords('A. B c d e f', 4)).toBe('A. B c d')
    expect(limitWords('Line one\nline two three', 3)).toBe('Line one\nline')
  })

  it('keeps the summary field a string for NDJSON records (echo engine)', async () => {
    const writer = memoryWriter()
    await runTask({task: summarizeTask, engine: await createEngine({kind: 'echo'}), source: await sourceOf('{"id":1,"text":"one two three"}\n'), writer, settings: {maxTokens: 2, temperature: 0}})
    expect(writer.records()).toEqual([{id: 1, text: 'one two three', summary: 'one two'}])
  })
})
