const BLOCK = /^(?:address|article|aside|blockquote|dd|div|dl|dt|figcaption|figure|footer|form|h[1-6]|header|hr|li|main|nav|ol|p|pre|section|table|tbody|thead|tfoot|tr|ul)$/i

const ENTITIES: Record<string, string> = {amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ndash: '–', mdash: '—', hellip: '…', deg: '°', micro: 'µ', plusmn: '±'}

/**
 * The readable text of an HTML page: scripts, styles and comments left out, block elements (paragraphs, headings,
 * list items, rows) on their own paragraphs so that the chunker cuts there, `<br>` a line break, entities decoded,
 * runs of spaces collapsed. Not a full HTML parser: it is for documents (guidelines, leaflets), not applications.
 */
export function htmlToText(html: string): string {
  const text = html
    .replaceAll(/<!--[\s\S]*?-->/g, '')
    .replaceAll(/<(script|style|noscript|template|head)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replaceAll(/<br\s*\/?>/gi, '\n')
    .replaceAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>/g, (tag, name: string) => (BLOCK.test(name) ? '\n\n' : tag.startsWith('</') ? '' : ' '))
    .replaceAll(/<[^>]*>/g, '')
  return decodeEntities(text)
    .split('\n')
    .map((line) => line.replaceAll(/[ \t\f\v\u00a0]+/g, ' ').trim())
    .join('\n')
    .replaceAll(/\n{3,}/g, '\n\n')
    .trim()
}

function decodeEntities(text: string): string {
  return text.replaceAll(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10)
      return Number.isFinite(code) && code > 0 && code <= 0x10_ffff ? String.fromCodePoint(code) : entity
    }

    return ENTITIES[body.toLowerCase()] ?? entity
  })
}
