import {describe, expect, it} from 'vitest'

import {parseCsv} from '../../../src/lib/bench/index.js'

describe('parseCsv', () => {
  it('reads quoted fields with separators, doubled quotes and newlines, and tracks start lines', () => {
    const text = 'a,"b, c","say ""hi"""\n"multi\nline",x,\r\nlast,row,z'
    expect(parseCsv(text)).toEqual([
      {line: 1, fields: ['a', 'b, c', 'say "hi"']},
      {line: 2, fields: ['multi\nline', 'x', '']},
      {line: 4, fields: ['last', 'row', 'z']},
    ])
  })

  it('skips blank lines and tolerates a final newline', () => {
    expect(parseCsv('a,b\n\nc,d\n')).toEqual([
      {line: 1, fields: ['a', 'b']},
      {line: 3, fields: ['c', 'd']},
    ])
  })

  it('rejects an unterminated quote', () => {
    expect(() => parseCsv('a,"b\nc')).toThrow(/unterminated/)
  })
})
