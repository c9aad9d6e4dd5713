import {createHash} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'

/** One repo the mock serves; a key `datasets/owner/name` is a dataset repo (`/datasets/owner/name/resolve/…`). */
export interface MockRepo {
  /** Path in the repo → content. `.gguf` files are served as LFS files (redirect, sha256 etag, tree `lfs.oid`). */
  files: Record<string, Buffer>
  /** Anonymous requests get 401, requests with a token other than the accepted one 403 (`X-Error-Code: GatedRepo`). */
  gated?: boolean
  /** Private repos answer 401 RepoNotFound to requests without the accepted token, like the hub. */
  private?: boolean
  /** The commit `main` resolves to; default a fixed 40-hex string. */
  commit?: string
  /** `cardData.license` of the model info API. */
  license?: string
}

/** Faults the content server can inject. Each applies to `times` requests (default: every request). */
export type MockFault =
  | {kind: 'corrupt'; path?: string; times?: number} // flips a byte of the body; headers and tree still announce the real sha256
  | {kind: 'cut'; afterFraction: number; times?: number; path?: string} // drops the connection once this fraction of the file has been sent
  | {kind: 'huge'; path?: string} // announces an enormous X-Linked-Size (for the free-space check)
  | {kind: 'ignore-range'; times?: number} // answers 200 with the whole file to range requests
  | {kind: 'status'; status: number; times?: number} // answers with this status

/** One request the mock saw. */
export interface MockRequest {
  method: string
  /** Path and query. */
  url: string
  /** Which listener: the hub API/resolve origin, or the storage (CDN) origin the hub redirects to. */
  server: 'cdn' | 'hub'
  range?: string
  authorization?: string
  status: number
  /** Body bytes written (for content answers). */
  sentBytes: number
}

/** Options of {@link startHfMock}. */
export interface HfMockOptions {
  repos?: Record<string, MockRepo>
  /** The token the mock accepts for gated and private repos. */
  token?: string
  /** Throttle content to about this many bytes per second; default unthrottled. */
  bytesPerSecond?: number
  /** Tree API page size (the hub paginates with `Link: <…>; rel="next"`); default 1000. */
  pageSize?: number
}

/** A running mock; `endpoint` goes into HF_ENDPOINT. */
export interface HfMock {
  endpoint: string
  cdnOrigin: string
  log: MockRequest[]
  repos: Record<string, MockRepo>
  setFault(fault: MockFault | undefined): void
  setThrottle(bytesPerSecond: number | undefined): void
  /** Requests whose path contains `fragment`. */
  requests(fragment?: string): MockRequest[]
  close(): Promise<void>
}

/** sha256 hex of a buffer. */
export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex')
}

const DEFAULT_COMMIT = 'c0ffee0000000000000000000000000000000001'

/**
 * An HTTP server on 127.0.0.1 that behaves like the Hugging Face hub for downloads: `/{repo}/resolve/{rev}/{path}`
 * (HEAD/GET) answers 302 to a blob URL on a second listener (the "CDN", another origin) with `X-Linked-Size`,
 * `X-Linked-Etag` (quoted sha256) and `X-Repo-Commit`; the blob listener honours `Range` (206, 416);
 * `/api/models/{repo}/tree/{rev}` lists files with `lfs.oid`; `/api/models/{repo}/revision/{rev}` gives the
 * license; gated and private repos answer 401/403 with `X-Error-Code`. Faults and a throttle make failures
 * reproducible, and every request is logged.
 */
export async function startHfMock(options: HfMockOptions = {}): Promise<HfMock> {
  const repos: Record<string, MockRepo> = {...options.repos}
  const log: MockRequest[] = []
  let fault: MockFault | undefined
  let faultUses = 0
  let bytesPerSecond = options.bytesPerSecond
  const sockets = new Set<Socket>()
  const blobs = (): Map<string, {content: Buffer; path: string}> => {
    const map = new Map<string, {content: Buffer; path: string}>()
    for (const repo of Object.values(repos)) for (const [path, content] of Object.entries(repo.files)) map.set(sha256(content), {content, path})
    return map
  }

  const takeFault = (kinds: MockFault['kind'][], path?: string): MockFault | undefined => {
    if (!fault || !kinds.includes(fault.kind)) return undefined
    if ('path' in fault && fault.path && path && !path.endsWith(fault.path)) return undefined
    const times = 'times' in fault ? fault.times : undefined
    if (times !== undefined && faultUses >= times) return undefined
    faultUses++
    return fault
  }

  const record = (request: IncomingMessage, server: MockRequest['server']): MockRequest => {
    const entry: MockRequest = {
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      server,
      ...(request.headers.range ? {range: request.headers.range} : {}),
      ...(request.headers.authorization ? {authorization: request.headers.authorization} : {}),
      status: 0,
      sentBytes: 0,
    }
    log.push(entry)
    return entry
  }

  const hub = createServer((request, response) => {
    const entry = record(request, 'hub')
    handleHub(request, response, entry).catch((error: unknown) => {
      entry.status = 500
      response.destroy(error as Error)
    })
  })
  const cdn = createServer((request, response) => {
    const entry = record(request, 'cdn')
    handleCdn(request, response, entry).catch((error: unknown) => {
      entry.status = 500
      response.destroy(error as Error)
    })
  })
  for (const server of [hub, cdn]) server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  const [hubPort, cdnPort] = await Promise.all([listen(hub), listen(cdn)])
  const endpoint = `http://127.0.0.1:${hubPort}`
  const cdnOrigin = `http://127.0.0.1:${cdnPort}`

  const answer = (response: ServerResponse, entry: MockRequest, status: number, headers: Record<string, string> = {}, body?: string): void => {
    entry.status = status
    response.writeHead(status, headers)
    response.end(body)
  }

  const access = (repoName: string, repo: MockRepo, request: IncomingMessage, response: ServerResponse, entry: MockRequest): boolean => {
    const auth = request.headers.authorization
    const authorized = options.token !== undefined && auth === `Bearer ${options.token}`
    if (repo.private && !authorized) {
      answer(response, entry, 401, {'X-Error-Code': 'RepoNotFound', 'X-Error-Message': 'Repository Not Found'})
      return false
    }

    if (repo.gated && !authorized) {
      const status = auth ? 403 : 401
      const message = auth
        ? `Access to model ${repoName} is restricted and you are not in the authorized list. Visit ${endpoint}/${repoName} to ask for access.`
        : `Access to model ${repoName} is restricted. You must have access to it and be authenticated to access it. Please log in.`
      answer(response, entry, status, {'X-Error-Code': 'GatedRepo', 'X-Error-Message': message})
      return false
    }

    return true
  }

  async function handleHub(request: IncomingMessage, response: ServerResponse, entry: MockRequest): Promise<void> {
    const url = new URL(request.url ?? '/', endpoint)
    const path = decodeURIComponent(url.pathname)
    const status = takeFault(['status'])
    if (status?.kind === 'status') return answer(response, entry, status.status)

    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)\/?(.*)$/.exec(path)
    if (tree) {
      const repo = repos[tree[1]]
      if (!repo) return answer(response, entry, 401, {'X-Error-Code': 'RepoNotFound'})
      if (repo.private && !access(tree[1], repo, request, response, entry)) return // gated repos still list files, like the hub
      if (!revisionOk(repo, tree[2])) return answer(response, entry, 404, {'X-Error-Code': 'RevisionNotFound'})
      const all = listing(repo, tree[3])
      const pageSize = options.pageSize ?? 1000
      const cursor = Number(url.searchParams.get('cursor') ?? 0)
      const page = all.slice(cursor, cursor + pageSize)
      const headers: Record<string, string> = {'Content-Type': 'application/json'}
      if (cursor + pageSize < all.length) headers.Link = `<${endpoint}${url.pathname}?recursive=true&cursor=${cursor + pageSize}>; rel="next"`
      return answer(response, entry, 200, headers, JSON.stringify(page))
    }

    const info = /^\/api\/models\/([^/]+\/[^/]+)(?:\/revision\/([^/]+))?$/.exec(path)
    if (info) {
      const repo = repos[info[1]]
      if (!repo) return answer(response, entry, 401, {'X-Error-Code': 'RepoNotFound'})
      if (repo.private && !access(info[1], repo, request, response, entry)) return
      return answer(response, entry, 200, {'Content-Type': 'application/json'}, JSON.stringify({
        id: info[1],
        sha: repo.commit ?? DEFAULT_COMMIT,
        gated: repo.gated ? 'manual' : false,
        cardData: repo.license ? {license: repo.license} : {},
        siblings: Object.keys(repo.files).map((rfilename) => ({rfilename})),
      }))
    }

    const resolve = /^\/((?:datasets\/)?[^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path)
    if (resolve) {
      const repo = repos[resolve[1]]
      if (!repo) return answer(response, entry, 401, {'X-Error-Code': 'RepoNotFound', 'X-Error-Message': 'Repository Not Found'})
      if (!access(resolve[1], repo, request, response, entry)) return
      if (!revisionOk(repo, resolve[2])) return answer(response, entry, 404, {'X-Error-Code': 'RevisionNotFound'})
      const content = repo.files[resolve[3]]
      if (!content) return answer(response, entry, 404, {'X-Error-Code': 'EntryNotFound', 'X-Error-Message': 'Entry not found'})
      const hash = sha256(content)
      const huge = takeFault(['huge'], resolve[3])
      return answer(response, entry, 302, {
        Location: `${cdnOrigin}/blobs/${hash}?X-Amz-Signature=mock-signature&Expires=9999999999`,
        'X-Linked-Size': String(huge ? 2 ** 52 : content.length),
        'X-Linked-Etag': `"${hash}"`,
        'X-Repo-Commit': repo.commit ?? DEFAULT_COMMIT,
        ETag: `"${createHash('sha1').update(content).digest('hex')}"`,
        'Content-Length': '0',
      })
    }

    answer(response, entry, 404)
  }

  async function handleCdn(request: IncomingMessage, response: ServerResponse, entry: MockRequest): Promise<void> {
    const url = new URL(request.url ?? '/', cdnOrigin)
    const blob = /^\/blobs\/([\da-f]{64})$/.exec(url.pathname)
    const found = blob ? blobs().get(blob[1]) : undefined
    if (!found) return answer(response, entry, 404)
    const content = found.content
    const status = takeFault(['status'])
    if (status?.kind === 'status') return answer(response, entry, status.status)

    let start = 0
    let end = content.length - 1
    let code = 200
    const range = request.headers.range
    if (range && !takeFault(['ignore-range'])) {
      const match = /^bytes=(\d+)-(\d*)$/.exec(range)
      if (!match || Number(match[1]) >= content.length) {
        return answer(response, entry, 416, {'Content-Range': `bytes */${content.length}`})
      }

      start = Number(match[1])
      end = match[2] ? Math.min(Number(match[2]), content.length - 1) : content.length - 1
      code = 206
    }

    const headers: Record<string, string> = {'Content-Length': String(end - start + 1), 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream', ETag: `"${blob![1]}"`}
    if (code === 206) headers['Content-Range'] = `bytes ${start}-${end}/${content.length}`
    entry.status = code
    response.writeHead(code, headers)
    if (request.method === 'HEAD') return void response.end()

    const corrupt = takeFault(['corrupt'], found.path)
    const cut = takeFault(['cut'], found.path)
    const cutAt = cut?.kind === 'cut' ? Math.floor(content.length * cut.afterFraction) : Number.POSITIVE_INFINITY
    const chunkSize = 16 * 1024
    for (let offset = start; offset <= end; offset += chunkSize) {
      if (response.destroyed) return
      let chunk = content.subarray(offset, Math.min(offset + chunkSize, end + 1))
      if (offset + chunk.length > cutAt) chunk = chunk.subarray(0, Math.max(cutAt - offset, 0))
      if (corrupt && offset === start) chunk = Buffer.from(chunk).fill(chunk[0] ^ 0xff, 0, 1)
      if (chunk.length > 0) await write(response, chunk)
      entry.sentBytes += chunk.length
      if (offset + chunk.length >= cutAt) {
        // Let the client take in the bytes sent (a reset discards what it has received but not yet read), then
        // drop the connection mid-body, like a lost network.
        await new Promise((resolve) => setTimeout(resolve, 200))
        response.socket?.destroy()
        return
      }

      if (bytesPerSecond) await new Promise((resolve) => setTimeout(resolve, (chunk.length / bytesPerSecond!) * 1000))
    }

    response.end()
  }

  return {
    endpoint,
    cdnOrigin,
    log,
    repos,
    setFault(next) {
      fault = next
      faultUses = 0
    },
    setThrottle(next) {
      bytesPerSecond = next
    },
    requests: (fragment) => (fragment === undefined ? log : log.filter((entry) => entry.url.includes(fragment))),
    async close() {
      for (const socket of sockets) socket.destroy()
      await Promise.all([hub, cdn].map((server) => new Promise((resolve) => server.close(resolve))))
    },
  }
}

function revisionOk(repo: MockRepo, revision: string): boolean {
  return revision === 'main' || revision === (repo.commit ?? DEFAULT_COMMIT)
}

function listing(repo: MockRepo, under: string): Array<Record<string, unknown>> {
  const prefix = under ? `${under.replace(/\/$/, '')}/` : ''
  const entries: Array<Record<string, unknown>> = []
  const dirs = new Set<string>()
  for (const [path, content] of Object.entries(repo.files).sort(([a], [b]) => a.localeCompare(b))) {
    if (!path.startsWith(prefix)) continue
    const parts = path.split('/')
    for (let index = 1; index < parts.length; index++) dirs.add(parts.slice(0, index).join('/'))
    const oid = createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex')
    entries.push({
      type: 'file',
      oid,
      size: content.length,
      path,
      ...(path.endsWith('.gguf') ? {lfs: {oid: sha256(content), size: content.length, pointerSize: 135}} : {}),
    })
  }

  return [...[...dirs].filter((dir) => dir.startsWith(prefix.replace(/\/$/, ''))).map((path) => ({type: 'directory', oid: '0'.repeat(40), size: 0, path})), ...entries]
}

function write(response: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    response.write(chunk, (error) => (error ? reject(error) : resolve()))
  })
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}
