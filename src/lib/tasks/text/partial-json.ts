/** The value a JSON text holds so far, and whether the text was complete. */
export interface PartialJson {
  value: unknown
  /** False when the text ended before the value did (generation cut off at max tokens). */
  complete: boolean
}

class Cut extends Error {
  constructor(readonly partial: unknown) {
    super('cut')
  }
}

/**
 * Parses JSON that may have been cut off: a prefix of a valid JSON document, as a grammar-constrained model leaves
 * it when it stops at its token limit. Objects and arrays that were still open keep the members that were
 * complete (and open containers inside them); a cut-off string, number or literal is left out. Text that is not
 * a JSON prefix throws a SyntaxError.
 */
export function parsePartialJson(text: string): PartialJson {
  let i = 0
  const skipSpace = (): void => {
    while (i < text.length && /[ \t\n\r]/.test(text[i])) i++
  }

  const fail = (): never => {
    throw new SyntaxError(`not JSON at character ${i}`)
  }

  const parseString = (): string => {
    const start = i
    i++ // opening quote
    while (i < text.length) {
      const char = text[i]
      if (char === '"') {
        i++
        return JSON.parse(text.slice(start, i)) as string
      }

      i += char === '\\' ? 2 : 1
    }

    throw new Cut(undefined)
  }

  const parseScalar = (): unknown => {
    const rest = text.slice(i)
    // A scalar that runs into the end of the text may still be growing ("tr", "12" of "123", "1e" of "1e5").
    if (/^(?:-?[\d.eE+-]*|t(?:r(?:u(?:e)?)?)?|f(?:a(?:l(?:s(?:e)?)?)?)?|n(?:u(?:l(?:l)?)?)?)$/.test(rest)) throw new Cut(undefined)
    const match = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(rest) ?? fail()
    i += match[0].length
    return JSON.parse(match[0])
  }

  const parseValue = (): unknown => {
    skipSpace()
    if (i >= text.length) throw new Cut(undefined)
    const char = text[i]
    if (char === '{') return parseObject()
    if (char === '[') return parseArray()
    if (char === '"') return parseString()
    return parseScalar()
  }

  const parseObject = (): Record<string, unknown> => {
    const object: Record<string, unknown> = {}
    i++
    skipSpace()
    if (text[i] === '}') {
      i++
      return object
    }

    for (;;) {
      skipSpace()
      if (i >= text.length) throw new Cut(object)
      if (text[i] !== '"') fail()
      let key: string
      try {
        key = parseString()
      } catch (error) {
        throw error instanceof Cut ? new Cut(object) : error
      }

      skipSpace()
      if (i >= text.length) throw new Cut(object)
      if (text[i] !== ':') fail()
      i++
      try {
        object[key] = parseValue()
      } catch (error) {
        if (!(error instanceof Cut)) throw error
        if (error.partial !== undefined) object[key] = error.partial
        throw new Cut(object)
      }

      skipSpace()
      if (i >= text.length) throw new Cut(object)
      if (text[i] === '}') {
        i++
        return object
      }

      if (text[i] !== ',') fail()
      i++
    }
  }

  const parseArray = (): unknown[] => {
    const array: unknown[] = []
    i++
    skipSpace()
    if (text[i] === ']') {
      i++
      return array
    }

    for (;;) {
      try {
        array.push(parseValue())
      } catch (error) {
        if (!(error instanceof Cut)) throw error
        if (error.partial !== undefined) array.push(error.partial)
        throw new Cut(array)
      }

      skipSpace()
      if (i >= text.length) throw new Cut(array)
      if (text[i] === ']') {
        i++
        return array
      }

      if (text[i] !== ',') fail()
      i++
    }
  }

  try {
    const value = parseValue()
    skipSpace()
    if (i < text.length) fail()
    return {value, complete: true}
  } catch (error) {
    if (error instanceof Cut) return {value: error.partial, complete: false}
    throw error
  }
}
