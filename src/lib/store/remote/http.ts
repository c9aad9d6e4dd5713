import {DownloadError, InterruptedError, ModelNotFoundError, type AppError} from '../../errors/index.js'
import {displayUrl} from '../refs.js'

/** How requests are made: the HTTP client, and which origin may receive the token. */
export interface HttpContext {
  fetch: typeof fetch
  /** Bearer token, sent only to `authOrigin` (never to a CDN a redirect points to). */
  token?: string
  /** Origin (`https://huggingface.co`) the token belongs to. */
  authOrigin?: string
  signal?: AbortSignal
}

/** A failure worth retrying (lost connection, 5xx, 429, stalled transfer); `withRetries` (retry.ts) turns the last one into a DownloadError. */
export class TransientError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    options?: {cause?: unknown},
  ) {
    super(message, options)
    this.name = 'TransientError'
  }
}

/** What a server says about one file before sending it. */
export interface RemoteFileInfo {
  /** Where the bytes are (the redirect target, or the resolve URL itself). */
  contentUrl: string
  sizeBytes?: number
  /** sha256 from `X-Linked-Etag` (hub LFS files only). */
  sha256?: string
  /** `X-Repo-Commit` (hub only). */
  commit?: string
}

const MAX_REDIRECTS = 8
const USER_AGENT = 'jsl-med'

/**
 * One HTTP request that follows redirects itself, so that the token is sent only to its own origin and the
 * caller can stop at the first redirect (`follow: false`) to read the hub's `X-Linked-*` headers.
 */
export async function request(
  url: string,
  context: HttpContext,
  options: {method?: 'GET' | 'HEAD'; headers?: Record<string, string>; follow?: boolean; signal?: AbortSignal} = {},
): Promise<{response: Response; url: string}> {
  let current = url
  for (let hops = 0; ; hops++) {
    const headers: Record<string, string> = {'User-Agent': USER_AGENT, ...options.headers}
    if (context.token && context.authOrigin && new URL(current).origin === context.authOrigin) headers.Authorization = `Bearer ${context.token}`
    let response: Response
    try {
      response = await context.fetch(current, {method: options.method ?? 'GET', headers, redirect: 'manual', signal: options.signal ?? context.signal})
    } catch (error) {
      throw networkError(error, new URL(current), context)
    }

    const location = response.headers.get('location')
    if (options.follow === false || response.status < 300 || response.status >= 400 || !location) return {response, url: current}
    if (hops >= MAX_REDIRECTS) throw new DownloadError(`Too many redirects from ${displayUrl(new URL(url))}`, {hint: 'The server is misconfigured; try again later.'}, 'E_REDIRECTS')
    await response.body?.cancel()
    current = new URL(location, current).toString()
  }
}

/** Translates an error thrown by fetch: an abort becomes InterruptedError, anything else a retryable network failure. */
export function networkError(error: unknown, url: URL, context: Pick<HttpContext, 'signal' | 'token'>): Error {
  if (context.signal?.aborted) return new InterruptedError()
  const cause = (error as {cause?: {code?: string; message?: string}}).cause
  const reason = cause?.code ?? cause?.message ?? (error as Error).message
  return new TransientError(redact(`Cannot reach ${url.host}: ${reason}`, context.token), 'Check the network connection (and HF_ENDPOINT), then run the same command again: the download resumes.', {cause: error})
}

/** Removes the token from text that may be printed (server messages, foreign error messages). */
export function redact(text: string, token: string | undefined): string {
  return token ? text.split(token).join('***') : text
}

/** The HTTP status of a response as a generic error: 429 and 5xx are retryable, the rest are not. */
export function statusError(response: Response, url: URL, token?: string): AppError | TransientError {
  const serverMessage = response.headers.get('x-error-message')
  const message = redact(`${displayUrl(url)} answered HTTP ${response.status}${serverMessage ? `: ${serverMessage}` : ''}`, token)
  if (response.status === 429 || response.status >= 500) {
    return new TransientError(message, 'The server is busy or failing; run the same command again later: the download resumes.')
  }

  if (response.status === 404 || response.status === 410) return new ModelNotFoundError(message, {hint: 'Check the URL.'}, 'E_FILE_NOT_FOUND')
  return new DownloadError(message, {hint: 'Check the URL; a private or gated file needs HF_TOKEN.'}, 'E_HTTP')
}

/** Asks a plain (non-hub) server for a file's size and final location with a HEAD request. */
export async function headUrl(url: URL, http: HttpContext): Promise<RemoteFileInfo> {
  const {response, url: finalUrl} = await request(url.toString(), http, {method: 'HEAD'})
  await response.body?.cancel()
  // Some servers refuse HEAD; the GET will tell.
  if (!response.ok) return response.status === 405 || response.status === 501 ? {contentUrl: url.toString()} : Promise.reject(statusError(response, url, http.token))
  const length = response.headers.get('content-length')
  return {contentUrl: finalUrl, sizeBytes: length && /^\d+$/.test(length) ? Number(length) : undefined}
}
