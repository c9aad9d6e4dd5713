import {readFile} from 'node:fs/promises'
import {promisify} from 'node:util'
import {gunzip} from 'node:zlib'

import {InputError} from '../errors/index.js'

const gunzipAsync = promisify(gunzip)

/** One code of a code table. */
export interface CodeEntry {
  /** The code in canonical form: upper case, with the dot after the category (`E11.9`). */
  code: string
  /** Valid for submission (a billable leaf); false for a header such as the category `E11`. */
  billable: boolean
  /** The long description. */
  description: string
}

/** A user-supplied table of valid codes of one system. */
export interface CodeTable {
  system: 'icd10cm'
  /** Number of codes. */
  size: number
  /** The entry of a code given with or without its dot, in any case; undefined when the table lacks it. */
  get(code: string): CodeEntry | undefined
  /** Whether any code of the table lies in this 3-character category (`E11`). */
  hasCategory(category: string): boolean
}

// The CMS order file: order number (5), code without dot (7, space padded), header flag (0/1), short description
// (60), long description, separated by single spaces. Some tools write the code with its dot or widen the column,
// so the code column is read up to the next space instead of by width.
const ORDER_LINE = /^(\d{5}) ([A-Za-z0-9.]{3,8}) +([01]) (.*)$/
// The CMS "codes" file: code without dot, spaces, long description.
const CODES_LINE = /^([A-Za-z][0-9][A-Za-z0-9](?:\.?[A-Za-z0-9]{1,4})?)\s+(\S.*)$/
const SHORT_DESCRIPTION_WIDTH = 60

/**
 * Normalizes an ICD-10-CM code as a person or a model writes it (`e11.9`, `E119`, ` E11.9 `) to its key, the upper
 * case code without the dot (`E119`). Returns undefined when it is not well formed: a letter, a digit, a letter or
 * digit, then up to four letters or digits, with at most one dot and only after the third character.
 */
export function normalizeIcd10cmCode(raw: string): string | undefined {
  const text = raw.trim().toUpperCase()
  const dot = text.indexOf('.')
  if (dot !== -1 && (dot !== 3 || text.indexOf('.', dot + 1) !== -1 || dot === text.length - 1)) return undefined
  const key = text.replace('.', '')
  return /^[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}$/.test(key) ? key : undefined
}

/** The canonical, dotted form of a code key (`E119` → `E11.9`, `E11` → `E11`). */
export function formatIcd10cmCode(key: string): string {
  return key.length > 3 ? `${key.slice(0, 3)}.${key.slice(3)}` : key
}

/**
 * Parses an ICD-10-CM table: the CMS order file (`icd10cm_order_<year>.txt`: fixed-width columns of order number,
 * code without dot, header flag and descriptions) or the CMS codes file (`icd10cm_codes_<year>.txt`: code and
 * description; every code there is billable). Codes may be written with or without their dot. Blank lines, a BOM
 * and CRLF line ends are accepted; any other line that fits neither format is an InputError naming its line number.
 */
export function parseIcd10cmTable(text: string, source = 'the code table'): CodeTable {
  const entries = new Map<string, CodeEntry>()
  const categories = new Set<string>()
  const lines = text.replace(/^\uFEFF/, '').split('\n')
  for (const [index, rawLine] of lines.entries()) {
    const line = rawLine.replace(/\r$/, '')
    if (line.trim() === '') continue
    const parsed = parseLine(line)
    const key = parsed && normalizeIcd10cmCode(parsed.code)
    if (!parsed || !key) {
      throw new InputError(`${source}: line ${index + 1} is not an ICD-10-CM order-file or codes-file line`, {
        hint: 'Pass the CMS order file (icd10cm_order_<year>.txt) or codes file (icd10cm_codes_<year>.txt) to --codes.',
      }, 'E_CODES_FORMAT')
    }

    entries.set(key, {code: formatIcd10cmCode(key), billable: parsed.billable, description: parsed.description})
    categories.add(key.slice(0, 3))
  }

  if (entries.size === 0) {
    throw new InputError(`${source} holds no codes`, {hint: 'Pass the CMS order file (icd10cm_order_<year>.txt) to --codes.'}, 'E_CODES_FORMAT')
  }

  return {
    system: 'icd10cm',
    size: entries.size,
    get: (code) => {
      const key = normalizeIcd10cmCode(code)
      return key === undefined ? undefined : entries.get(key)
    },
    hasCategory: (category) => categories.has(category.trim().toUpperCase()),
  }
}

function parseLine(line: string): {code: string; billable: boolean; description: string} | undefined {
  const order = ORDER_LINE.exec(line)
  if (order) {
    const descriptions = order[4]
    const long = descriptions.length > SHORT_DESCRIPTION_WIDTH ? descriptions.slice(SHORT_DESCRIPTION_WIDTH + 1).trim() : ''
    return {code: order[2], billable: order[3] === '1', description: long || descriptions.trim()}
  }

  const codes = CODES_LINE.exec(line)
  return codes ? {code: codes[1], billable: true, description: codes[2].trim()} : undefined
}

/** Reads an ICD-10-CM table from a file; see {@link parseIcd10cmTable}. Throws InputError E_CODES_FILE when unreadable. */
export async function loadIcd10cmTable(path: string): Promise<CodeTable> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (error) {
    throw new InputError(`Cannot read the code table ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`, {
      cause: error,
      hint: 'Check the path given to --codes.',
    }, 'E_CODES_FILE')
  }

  const text = await decodeTable(bytes, path)
  return parseIcd10cmTable(text, path)
}

// CMS publishes the tables in a zip; users often keep them gzipped. gzip is read as is, a zip is named.
async function decodeTable(bytes: Buffer, path: string): Promise<string> {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    throw new InputError(`${path} is a zip archive, not a code table`, {
      hint: 'Unzip it (unzip FILE.zip) and pass the icd10cm_order_<year>.txt it holds to --codes; .txt and .txt.gz are read.',
    }, 'E_CODES_FORMAT')
  }

  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes.toString('utf8')
  try {
    return (await gunzipAsync(bytes)).toString('utf8')
  } catch (error) {
    throw new InputError(`${path} looks gzipped but cannot be decompressed (${(error as NodeJS.ErrnoException).code ?? 'corrupt'})`, {
      cause: error,
      hint: 'Check it with `gunzip -t FILE`, or pass the uncompressed .txt to --codes.',
    }, 'E_CODES_FORMAT')
  }
}
