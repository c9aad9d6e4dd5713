/**
 * Parses RFC 4180 CSV (quoted fields, doubled quotes, separators and newlines inside quotes, LF or CRLF).
 * Returns the rows with the 1-based line on which each row starts, for error messages.
 */
export function parseCsv(text: string): Array<{line: number; fields: string[]}> {
  const rows: Array<{line: number; fields: string[]}> = []
  let fields: string[] = []
  let field = ''
  let quoted = false
  let line = 1
  let rowLine = 1
  let atFieldStart = true
  const endRow = (): void => {
    fields.push(field)
    // A blank line is not a row.
    if (!(fields.length === 1 && fields[0] === '')) rows.push({line: rowLine, fields})
    fields = []
    field = ''
    atFieldStart = true
  }

  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (quoted) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i++
        } else {
          quoted = false
        }
      } else {
        if (char === '\n') line++
        field += char
      }

      continue
    }

    if (char === '"' && atFieldStart) {
      quoted = true
      atFieldStart = false
    } else if (char === ',') {
      fields.push(field)
      field = ''
      atFieldStart = true
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++
      endRow()
      line++
      rowLine = line
    } else {
      field += char
      atFieldStart = false
    }
  }

  if (quoted) throw new SyntaxError(`unterminated quoted field starting on line ${rowLine}`)
  if (field !== '' || fields.length > 0) endRow()
  return rows
}
