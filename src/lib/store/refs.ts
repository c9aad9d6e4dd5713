import {UsageError} from '../errors/index.js'
import type {Quant, StoreCatalog, StoreCatalogModel} from './types.js'

/** A model reference, parsed. */
export type ParsedRef =
  | {kind: 'catalog'; model: StoreCatalogModel; quant?: Quant}
  | {kind: 'file'; path: string}
  | {kind: 'hf-file'; repo: string; path: string; revision: string}
  | {kind: 'hf-quant'; repo: string; quantName: string; revision: string}
  | {kind: 'hf-repo'; repo: string; revision: string}
  | {kind: 'unknown'; name: string}
  | {kind: 'url'; url: URL}

const HF_PREFIXES = ['hf://', 'hf:', 'huggingface:', 'hf.co/', 'huggingface.co/', 'https://hf.co/', 'https://huggingface.co/']
const REPO_PART = /^[\w.-]+$/
const QUANT_TAGS = new Set(['q4', 'q8', 'q16'])

/**
 * Parses what `pull` and `--model` accept: a catalog alias (`name`, `name:q8`), `hf:owner/repo/path/file.gguf`,
 * `hf:owner/repo:Q4_K_M`, `hf:owner/repo` (with `@rev` or `#rev` for a revision), an http(s) URL (a hub
 * `…/resolve/<rev>/<file>` URL counts as `hf:`), or a local file. Throws UsageError for malformed `hf:` references.
 */
export function parseModelRef(ref: string, options: {catalog?: StoreCatalog; hfEndpoint: string}): ParsedRef {
  const trimmed = ref.trim()
  if (trimmed === '') throw new UsageError('The model reference is empty', {hint: 'Pass a catalog alias, hf:owner/repo:Q4_K_M, a URL or a .gguf file.'})

  const hubUrl = parseHubFileUrl(trimmed, options.hfEndpoint)
  if (hubUrl) return hubUrl
  if (/^https?:\/\//i.test(trimmed)) return {kind: 'url', url: new URL(trimmed)}

  const prefix = HF_PREFIXES.find((candidate) => trimmed.toLowerCase().startsWith(candidate))
  if (prefix) return parseHfRef(trimmed.slice(prefix.length), trimmed)

  if (/\.gguf$/i.test(trimmed) || /^(?:\.{0,2}\/|~\/)/.test(trimmed) || trimmed.includes('/') || trimmed.includes('\\')) {
    return {kind: 'file', path: trimmed}
  }

  const [name, tag] = splitTag(trimmed)
  const lowerTag = tag?.toLowerCase()
  if (lowerTag !== undefined && QUANT_TAGS.has(lowerTag)) {
    const tagged = options.catalog?.findModel(name)
    if (tagged) return {kind: 'catalog', model: tagged, quant: lowerTag as Quant}
  }

  const model = options.catalog?.findModel(trimmed)
  if (model) return {kind: 'catalog', model}

  return {kind: 'unknown', name: trimmed}
}

/** The canonical `hf:` form of a file in a repo: `hf:owner/repo/path`, with `@revision` unless it is `main`. */
export function hfFileRef(repo: string, path: string, revision: string): string {
  return `hf:${repo}/${path}${revision === 'main' ? '' : `@${revision}`}`
}

/** A URL without credentials, query or fragment: safe to print and to store (signed URLs carry secrets). */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`
}

function splitTag(text: string): [string, string | undefined] {
  const colon = text.lastIndexOf(':')
  return colon <= 0 ? [text, undefined] : [text.slice(0, colon), text.slice(colon + 1)]
}

function parseHfRef(body: string, original: string): ParsedRef {
  let rest = body
  let revision = 'main'
  const revisionAt = rest.search(/[@#]/)
  if (revisionAt !== -1) {
    revision = rest.slice(revisionAt + 1)
    rest = rest.slice(0, revisionAt)
  }

  const [path, tag] = splitTag(rest)
  const segments = path.split('/').filter(Boolean)
  const bad = (why: string): UsageError =>
    new UsageError(`Cannot read the Hugging Face reference ${original}: ${why}`, {
      hint: 'Use hf:owner/repo:Q4_K_M, hf:owner/repo/path/file.gguf or hf:owner/repo, optionally with @revision.',
    }, 'E_BAD_REF')
  if (segments.length < 2 || !REPO_PART.test(segments[0]) || !REPO_PART.test(segments[1])) throw bad('expected owner/repo')
  if (revision === '' || /[\s]/.test(revision)) throw bad('empty revision')
  const repo = `${segments[0]}/${segments[1]}`
  if (segments.length > 2) {
    if (tag !== undefined) throw bad('a file path cannot also have a :QUANT tag')
    const file = segments.slice(2).join('/')
    if (segments.slice(2).some((segment) => segment === '..' || segment === '.')) throw bad('the file path may not contain . or ..')
    return {kind: 'hf-file', repo, path: file, revision}
  }

  if (tag !== undefined) {
    if (!/^[\w.-]+$/.test(tag)) throw bad(`bad quant tag "${tag}"`)
    return {kind: 'hf-quant', repo, quantName: tag.toUpperCase(), revision}
  }

  return {kind: 'hf-repo', repo, revision}
}

function parseHubFileUrl(text: string, hfEndpoint: string): ParsedRef | undefined {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return undefined // not a URL: some other kind of reference
  }

  const endpoint = new URL(hfEndpoint)
  const hubHosts = new Set([endpoint.host, 'huggingface.co', 'hf.co'])
  if (!hubHosts.has(url.host)) return undefined
  const basePath = url.host === endpoint.host ? endpoint.pathname.replace(/\/$/, '') : ''
  const match = new RegExp(`^${escapeRegExp(basePath)}/([\\w.-]+)/([\\w.-]+)/(?:resolve|blob)/([^/]+)/(.+)$`).exec(url.pathname)
  if (!match) return undefined
  return {kind: 'hf-file', repo: `${match[1]}/${match[2]}`, revision: decodeURIComponent(match[3]), path: decodeURIComponent(match[4])}
}

function escapeRegExp(text: string): string {
  return text.replaceAll(/[$()*+.?[\\\]^{|}]/g, String.raw`\$&`)
}
