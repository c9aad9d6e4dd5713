import {describe, expect, it} from 'vitest'

import {assertMergeComplete, inShard, mergeShardOutputs, parseShard, selectShard} from '../../../src/lib/shard/index.js'
import {recordKey} from '../../../src/lib/io/index.js'
import {AppError} from '../../../src/lib/errors/index.js'

const keys = (ids: number[]): string[] => ids.map((id) => recordKey({id, line: 0}))
const line = (id: number | string, extra: Record<string, unknown> = {}): string => JSON.stringify({id, ...extra})

/** Deals lines 1..total into count shards with inShard, as count separate tasks would. */
function deal(total: number, count: number): number[][] {
  return Array.from({length: count}, (_, index) => Array.from({length: total}, (_, i) => i + 1).filter((n) => inShard(n, {index, count})))
}

function mergeError(run: () => void): AppError {
  try {
    run()
  } catch (error) {
    return error as AppError
  }

  throw new Error('expected the merge check to throw')
}

describe('parseShard', () => {
  it('reads I/N with 0 ≤ I < N', () => {
    expect(parseShard('0/4')).toEqual({index: 0, count: 4})
    expect(parseShard('3/4')).toEqual({index: 3, count: 4})
    expect(parseShard(' 0 / 1 ')).toEqual({index: 0, count: 1})
  })

  it('refuses anything else as a usage error', () => {
    for (const input of ['4/4', '1/0', '-1/4', '1', '1/2/3', 'a/b', '1.5/4', '']) {
      expect(() => parseShard(input), input).toThrow(expect.objectContaining({exitCode: 2, code: 'E_BAD_SHARD'}))
    }
  })
})

describe('shard selection', () => {
  it('gives every line to exactly one shard, whatever N', () => {
    for (const count of [1, 2, 3, 4, 7, 40, 41]) {
      const shards = deal(40, count)
      expect(shards.flat().sort((a, b) => a - b)).toEqual(Array.from({length: 40}, (_, i) => i + 1))
      // Round-robin: the shards' sizes differ by at most one.
      const sizes = shards.map((shard) => shard.length)
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
    }
  })

  it('filters a record stream by line number, in order', async () => {
    async function* records() {
      for (let line = 1; line <= 10; line++) yield {line}
    }

    const picked: number[] = []
    for await (const record of selectShard(records(), {index: 1, count: 3})) picked.push(record.line)
    expect(picked).toEqual([2, 5, 8])
  })
})

describe('mergeShardOutputs', () => {
  const order = keys(Array.from({length: 12}, (_, i) => i))
  const shardsOf = (ids: number[][]) => ids.map((shard, index) => ({name: `shard-${index}`, lines: [...shard.map((id) => line(id, {n: id})), '']}))

  it('restores input order from round-robin shards given in any order', () => {
    const dealt = deal(12, 4).map((lines) => lines.map((n) => n - 1))
    const result = mergeShardOutputs(shardsOf(dealt).reverse(), {order})
    expect(result.lines.map((text) => JSON.parse(text).id)).toEqual(Array.from({length: 12}, (_, i) => i))
    expect(result).toMatchObject({missing: [], duplicated: [], unknown: [], unreadable: [], failed: 0})
    expect(() => assertMergeComplete(result)).not.toThrow()
  })

  it('keeps shard order without the input, and still finds duplicates', () => {
    const result = mergeShardOutputs(shardsOf([[0, 1, 2], [3, 4], [4, 5]]))
    expect(result.lines.map((text) => JSON.parse(text).id)).toEqual([0, 1, 2, 3, 4, 5])
    expect(result.duplicated).toEqual(keys([4]))
    expect(result.missing).toEqual([])
  })

  it('names missing, duplicated and unknown ids, and unreadable lines, in one data error (exit 8)', () => {
    const shards = [
      {name: 'a.out', lines: [line(0), line(1), line(2), line(2)]},
      {name: 'b.out', lines: [line(1), line(99), '{"id": 5, "summ']},
    ]
    const result = mergeShardOutputs(shards, {order: keys([0, 1, 2, 3, 4])})
    expect(result.missing).toEqual(keys([3, 4]))
    expect(result.duplicated.sort()).toEqual(keys([1, 2]).sort())
    expect(result.unknown).toEqual(keys([99]))
    expect(result.unreadable).toEqual(['b.out:3'])
    const error = mergeError(() => assertMergeComplete(result))
    expect(error).toMatchObject({exitCode: 8, code: 'E_MERGE_IDS', details: {missing: 2, duplicated: 2, unknown: 1, unreadable: 1}})
    // Each id is named in the message (its wording is not pinned).
    for (const id of ['3', '4', '1', '2', '99', 'b.out:3']) expect(error.message).toContain(id)
    expect(error.hint).toContain('--resume')
  })

  it('matches string ids, and records without an id by their line number', () => {
    const order = [recordKey({id: 'note-a', line: 1}), recordKey({line: 2}), recordKey({id: 7, line: 3})]
    const result = mergeShardOutputs([{name: 's', lines: [JSON.stringify({id: 7}), JSON.stringify({line: 2, error: {code: 'E_BAD_JSON'}}), JSON.stringify({id: 'note-a'})]}], {order})
    expect(result.lines.map((text) => JSON.parse(text))).toEqual([{id: 'note-a'}, {line: 2, error: {code: 'E_BAD_JSON'}}, {id: 7}])
    expect(result.failed).toBe(1)
    // The number 7 and the string "7" are different ids.
    expect(mergeShardOutputs([{name: 's', lines: [JSON.stringify({id: '7'})]}], {order: keys([7])})).toMatchObject({missing: keys([7]), unknown: [recordKey({id: '7', line: 0})]})
  })

  it('names only the first ten of many, with the count of the rest', () => {
    const result = mergeShardOutputs([], {order: keys(Array.from({length: 25}, (_, i) => i))})
    const error = mergeError(() => assertMergeComplete(result))
    expect(error.message).toContain('25')
    expect(error.message).toContain('15')
    expect(error.message).not.toContain('(10,')
  })
})
