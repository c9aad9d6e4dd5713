import {createHash} from 'node:crypto'
import {readdir, readFile, stat} from 'node:fs/promises'
import {extname, join} from 'node:path'

import {InputError} from '../errors/index.js'
import {htmlToText} from './html.js'

/** The formats `index add` reads. */
export type DocumentFormat = 'html' | 'markdown' | 'ndjson' | 'pdf' | 'text'

const EXTENSIONS: Record<string, DocumentFormat> = {
  '.txt': 'text',
  '.text': 'text',
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.html': 'html',
  '.htm': 'html',
  '.pdf': 'pdf',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
}

/** One document to index: a file, or one NDJSON record. */
export interface SourceDocument {
  /** Its id: the file's path as given (under a directory: joined to it), or the record's id. */
  doc: string
  /** The file it came from. */
  source: string
  format: DocumentFormat
  /** sha256 of the content: the file's bytes, or the record's text. */
  hash: string
  /** The text to chunk; read only when the hash changed (PDF extraction is the slow part). */
  readText(): Promise<string>
}

/** Options of {@link readDocuments}. */
export interface ReadDocumentsOptions {
  /** NDJSON field with the text; default `text`. */
  field?: string
  /** NDJSON field with the id; default `id`. */
  idField?: string
}

/**
 * The documents of files and directories (walked recursively for the known extensions; hidden entries skipped).
 * The format comes from the extension, else from the content (`{` NDJSON, `%PDF` PDF, `<` HTML, else text).
 * An NDJSON line without the id or text fields is an InputError naming the file and line, never its content.
 */
export async function* readDocuments(paths: string[], options: ReadDocumentsOptions = {}): AsyncGenerator<SourceDocument> {
  for (const path of paths) {
    let info
    try {
      info = await stat(path)
    } catch {
      throw new InputError(`${path} does not exist`, {hint: 'Give files or directories of text, Markdown, HTML, PDF or NDJSON.'}, 'E_INPUT_NOT_FOUND')
    }

    if (info.isDirectory()) yield* readDocuments(await listDirectory(path), options)
    else yield* readFileDocuments(path, options)
  }
}

async function listDirectory(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {withFileTypes: true})
  return entries
    .filter((entry) => !entry.name.startsWith('.') && (entry.isDirectory() || Object.hasOwn(EXTENSIONS, extname(entry.name).toLowerCase())))
    .map((entry) => join(dir, entry.name))
    .sort()
}

async function* readFileDocuments(path: string, options: ReadDocumentsOptions): AsyncGenerator<SourceDocument> {
  const bytes = await readFile(path)
  const format = EXTENSIONS[extname(path).toLowerCase()] ?? sniff(bytes)
  if (format === 'ndjson') {
    yield* ndjsonDocuments(path, bytes.toString('utf8'), options)
    return
  }

  const hash = sha256(bytes)
  yield {doc: path, source: path, format, hash, readText: () => extractText(path, format, bytes)}
}

function* ndjsonDocuments(path: string, content: string, {field = 'text', idField = 'id'}: ReadDocumentsOptions): Generator<SourceDocument> {
  const lines = content.split('\n')
  for (const [index, raw] of lines.entries()) {
    if (raw.trim() === '') continue
    const where = `${path} line ${index + 1}`
    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch {
      throw new InputError(`${where} is not JSON`, {hint: 'Give one JSON object per line.'}, 'E_BAD_JSON')
    }

    const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>
    const id = record[idField]
    const text = record[field]
    if ((typeof id !== 'string' && typeof id !== 'number') || typeof text !== 'string') {
      throw new InputError(`${where} has no string "${field}" and string or number "${idField}"`, {hint: 'Use --field and --id-field to name the fields.'}, 'E_FIELD_MISSING')
    }

    yield {doc: String(id), source: path, format: 'ndjson', hash: sha256(text), readText: async () => text}
  }
}

function sniff(bytes: Buffer): DocumentFormat {
  const head = bytes.subarray(0, 1024).toString('latin1').trimStart()
  if (head.startsWith('%PDF')) return 'pdf'
  if (head.startsWith('{')) return 'ndjson'
  if (head.startsWith('<')) return 'html'
  return 'text'
}

async function extractText(path: string, format: DocumentFormat, bytes: Buffer): Promise<string> {
  if (format === 'html') return htmlToText(bytes.toString('utf8'))
  if (format !== 'pdf') return bytes.toString('utf8')
  // unpdf (a serverless build of PDF.js) loads only when a PDF is indexed.
  const {extractText: extractPdfText} = await import('unpdf')
  try {
    const {text} = await extractPdfText(new Uint8Array(bytes), {mergePages: false})
    return text.map((page) => page.trim()).filter(Boolean).join('\n\n')
  } catch (error) {
    throw new InputError(`${path} could not be read as a PDF`, {cause: error, hint: 'Check that the file is a PDF with a text layer (scans need OCR first).'}, 'E_BAD_PDF')
  }
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}
