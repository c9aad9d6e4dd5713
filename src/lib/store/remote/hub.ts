import {readFile} from 'node:fs/promises'

import {ConfigError, DownloadError, ModelNotFoundError, type AppError} from '../../errors/index.js'
import {hfTokenPath} from '../../paths/index.js'
import {redact, request, statusError, TransientError, type HttpContext, type RemoteFileInfo} from './http.js'

/** The default Hugging Face endpoint. */
export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co'

/** A Hugging Face hub (or mirror) with the token to use for it. */
export interface HubContext extends HttpContext {
  /** Base URL without a trailing slash (`HF_ENDPOINT`). */
  endpoint: string
}

/** `HF_ENDPOINT`, else huggingface.co, without a trailing slash. */
export function hfEndpoint(env: NodeJS.ProcessEnv): string {
  return (env.HF_ENDPOINT || DEFAULT_HF_ENDPOINT).replace(/\/+$/, '')
}

/** The Hugging Face token: `HF_TOKEN`, else the contents of `$HF_TOKEN_PATH` / `$HF_HOME/token`, else none. */
export async function readHfToken(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (env.HF_TOKEN?.trim()) return env.HF_TOKEN.trim()
  try {
    const token = (await readFile(hfTokenPath({env}), 'utf8')).trim()
    return token || undefined
  } catch {
    return undefined // no stored token: anonymous access, which is fine for public repos
  }
}

/** Builds the context for talking to the hub; the token goes only to the hub's origin. */
export async function createHubContext(env: NodeJS.ProcessEnv, fetchImpl: typeof fetch, signal?: AbortSignal): Promise<HubContext> {
  const endpoint = hfEndpoint(env)
  let origin: string
  try {
    origin = new URL(endpoint).origin
  } catch (error) {
    throw new ConfigError(`HF_ENDPOINT is not a URL: ${endpoint}`, {cause: error, hint: 'Set HF_ENDPOINT to a URL such as https://huggingface.co, or unset it.'}, 'E_HF_ENDPOINT')
  }

  return {endpoint, fetch: fetchImpl, token: await readHfToken(env), authOrigin: origin, signal}
}

/** `{endpoint}/{repo}/resolve/{revision}/{path}`, the hub's download URL of one file. */
export function resolveUrl(endpoint: string, repo: string, revision: string, path: string): string {
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${path.split('/').map((part) => encodeURIComponent(part)).join('/')}`
}

/**
 * Asks the hub for a file's size, sha256 and location without downloading it: a HEAD on the resolve URL that
 * stops at the redirect to the storage backend, as huggingface_hub does (relative redirects, e.g. of a renamed
 * repo, are followed).
 */
export async function headHubFile(context: HubContext, target: {repo: string; revision: string; path: string}): Promise<RemoteFileInfo> {
  let url = resolveUrl(context.endpoint, target.repo, target.revision, target.path)
  for (let hops = 0; hops < 5; hops++) {
    const {response} = await request(url, context, {method: 'HEAD', follow: false})
    const location = response.headers.get('location')
    const linkedSize = response.headers.get('x-linked-size')
    const info: Omit<RemoteFileInfo, 'contentUrl'> = {
      sizeBytes: numberHeader(linkedSize ?? (response.status < 300 ? response.headers.get('content-length') : null)),
      sha256: sha256FromEtag(response.headers.get('x-linked-etag') ?? (response.status < 300 ? response.headers.get('etag') : null)),
      commit: response.headers.get('x-repo-commit') ?? undefined,
    }
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url)
      const relative = next.origin === new URL(url).origin && !linkedSize && !response.headers.get('x-linked-etag')
      if (!relative) return {contentUrl: next.toString(), ...info}
      url = next.toString()
      continue
    }

    if (response.ok) return {contentUrl: url, ...info}
    throw hubError(response, context, target)
  }

  throw new DownloadError(`Too many redirects for ${target.repo}/${target.path}`, {hint: 'The hub is misconfigured; try again later.'}, 'E_REDIRECTS')
}

/** One entry of the hub's tree API (`/api/models/{repo}/tree/{revision}`). */
export interface TreeEntry {
  type: 'directory' | 'file'
  path: string
  size?: number
  lfs?: {oid: string; size: number}
}

/** Lists every file of a repo at a revision (recursive, following `Link: rel="next"` pages). */
export async function listHubTree(context: HubContext, repo: string, revision: string): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = []
  let url: string | undefined = `${context.endpoint}/api/models/${repo}/tree/${encodeURIComponent(revision)}?recursive=true`
  for (let page = 0; url && page < 1000; page++) {
    const {response}: {response: Response} = await request(url, context)
    if (!response.ok) throw hubError(response, context, {repo, revision})
    const body = (await response.json()) as TreeEntry[]
    if (!Array.isArray(body)) throw new DownloadError(`The hub sent an unexpected file list for ${repo}`, {hint: 'Check HF_ENDPOINT.'}, 'E_HUB_RESPONSE')
    entries.push(...body)
    url = nextLink(response.headers.get('link'), url)
  }

  return entries
}

/** Repo facts the catalog does not know for an arbitrary `hf:` reference; undefined when the hub does not say. */
export async function fetchHubModelInfo(context: HubContext, repo: string, revision: string): Promise<{license?: string; commit?: string} | undefined> {
  try {
    const {response} = await request(`${context.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}`, context)
    if (!response.ok) {
      await response.body?.cancel()
      return undefined
    }

    const body = (await response.json()) as {sha?: string; cardData?: {license?: unknown}}
    const license = body.cardData?.license
    return {license: typeof license === 'string' ? license : Array.isArray(license) ? license.join(', ') : undefined, commit: body.sha}
  } catch (error) {
    if (error instanceof TransientError || error instanceof SyntaxError) return undefined // the license is a courtesy: the download decides
    throw error
  }
}

/**
 * Translates a hub error answer. The hub keys its errors on `X-Error-Code`: `GatedRepo` (401 anonymous, 403 not
 * yet approved), `RepoNotFound` (401: the hub also answers 401 for missing repos), `EntryNotFound`,
 * `RevisionNotFound` (404). The token is never part of a message.
 */
export function hubError(response: Response, context: HubContext, target: {repo: string; revision: string; path?: string}): AppError | TransientError {
  const code = response.headers.get('x-error-code')
  const serverMessage = redact(response.headers.get('x-error-message') ?? '', context.token)
  const repoUrl = `${context.endpoint}/${target.repo}`
  const what = target.path ? `${target.repo}/${target.path}` : target.repo
  if ((response.status === 401 || response.status === 403) && code === 'GatedRepo') {
    return new DownloadError(
      context.token
        ? `${target.repo} is a gated model and this Hugging Face token has no access to it yet`
        : `${target.repo} is a gated model: Hugging Face requires you to accept its license and to authenticate`,
      {
        hint: context.token
          ? `Accept the license at ${repoUrl} (approval can take a while), then run the same command again.`
          : `Accept the license at ${repoUrl} and set HF_TOKEN (a read token from ${context.endpoint}/settings/tokens), then run the same command again.`,
        details: {repo: target.repo, status: response.status},
      },
      'E_GATED',
    )
  }

  if (code === 'RepoNotFound' || (response.status === 401 && !context.token)) {
    return new ModelNotFoundError(`Repository ${target.repo} was not found on ${context.endpoint}${serverMessage ? ` (${serverMessage})` : ''}`, {
      hint: `Check the owner/repo spelling (the hub answers 401 for missing repos); a private repo needs HF_TOKEN.`,
    }, 'E_REPO_NOT_FOUND')
  }

  if (response.status === 401) {
    return new DownloadError(`Hugging Face rejected the token for ${target.repo}`, {hint: 'Check HF_TOKEN (or the token file in $HF_HOME); create a read token in your Hugging Face settings.'}, 'E_AUTH')
  }

  if (code === 'RevisionNotFound') {
    return new ModelNotFoundError(`Revision ${target.revision} of ${target.repo} was not found`, {hint: `Check the revision after @; see ${repoUrl}/tree/main.`}, 'E_REVISION_NOT_FOUND')
  }

  if (response.status === 404) {
    return new ModelNotFoundError(`${what} was not found at revision ${target.revision}`, {hint: `See the files at ${repoUrl}/tree/${target.revision}; hf:${target.repo}:Q4_K_M picks a file by quantization.`}, 'E_FILE_NOT_FOUND')
  }

  return statusError(response, new URL(resolveUrl(context.endpoint, target.repo, target.revision, target.path ?? '')), context.token)
}

function numberHeader(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined
  return Number(value)
}

/** The hub quotes etags (and weak ones start with W/); only a 64-hex etag is a sha256 (others are git sha1s). */
export function sha256FromEtag(value: string | null): string | undefined {
  const bare = value?.replace(/^W\//, '').replaceAll('"', '').trim().toLowerCase()
  return bare && /^[\da-f]{64}$/.test(bare) ? bare : undefined
}

function nextLink(header: string | null, base: string): string | undefined {
  const match = header ? /<([^>]+)>;\s*rel="?next"?/.exec(header) : null
  return match ? new URL(match[1], base).toString() : undefined
}
