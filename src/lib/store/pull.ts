import {mkdir, stat} from 'node:fs/promises'
import {basename, dirname, join, resolve as resolvePath} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {findModel, listModels} from '../catalog/index.js'
import {DownloadError, InterruptedError, ModelNotFoundError, UsageError} from '../errors/index.js'
import {validateGgufFile} from '../gguf/index.js'
import {resolveDirs} from '../paths/index.js'
import {formatBytes} from '../format/index.js'
import {sha256File} from './hash.js'
import {fsError} from './fs-errors.js'
import {request, statusError, TransientError, type HttpContext} from './http.js'
import {createHubContext, fetchHubModelInfo, headHubFile, hfEndpoint, hubError, listHubTree, type HubContext, type RemoteFileInfo, type TreeEntry} from './hub.js'
import {acquireLock, type Lock} from './lock.js'
import {readManifest, updateManifest} from './manifest.js'
import {isMmprojFile, isSplitPart, PREFERRED_QUANT_NAMES, quantBits, quantClassOf, quantNameOf} from './quant.js'
import {displayUrl, hfFileRef, parseModelRef, type ParsedRef} from './refs.js'
import {checkFreeSpace, copyIntoPart, fetchIntoPart, finishPart, openPart, type PartFile} from './transfer.js'
import type {
  ChecksumSource,
  InstalledFile,
  ManifestEntry,
  ModelSource,
  PullOptions,
  PullResult,
  Quant,
  QuantChoice,
  StoreCatalog,
  StoreCatalogModel,
  StoreLog,
} from './types.js'

/** The built-in catalog, as the store's default. */
export const builtInCatalog: StoreCatalog = {listModels, findModel}

const QUANT_ORDER: readonly Quant[] = ['q4', 'q8', 'q16']

/** One file to install. */
interface PlannedFile {
  /** Shown in progress and messages. */
  name: string
  /** Destination relative to the models directory, `/`-separated. */
  file: string
  hub?: {repo: string; revision: string; path: string}
  url?: URL
  expectedSha256?: string
  expectedSizeBytes?: number
  checksumSource: ChecksumSource
}

/** Everything needed to install one model. */
interface Plan {
  id: string
  /** The user's reference, kept so that `--model <ref>` finds the entry. */
  refKey?: string
  main: PlannedFile
  mmproj?: PlannedFile
  catalogId?: string
  quant?: Quant
  quantName?: string
  source: ModelSource
  license?: string
}

interface Context {
  modelsDir: string
  catalog: StoreCatalog
  env: NodeJS.ProcessEnv
  log: StoreLog
  options: PullOptions
  offline: boolean
}

/**
 * Installs a model in the store: a catalog alias, an `hf:` reference or a URL is downloaded (resuming any
 * `*.part` an interrupted run left, checking size and sha256 against the catalog or the hub, validating the
 * GGUF header, renaming into place under a lock, and recording it in the manifest); a local `.gguf` is validated
 * and copied in. Already installed models return at once without touching the network.
 */
export async function pullModel(options: PullOptions): Promise<PullResult> {
  const startedAt = Date.now()
  const env = options.env ?? process.env
  const context: Context = {
    modelsDir: resolvePath((options.dirs ?? resolveDirs({env})).modelsDir),
    catalog: options.catalog ?? builtInCatalog,
    env,
    log: options.log ?? (() => {}),
    options,
    offline: Boolean(options.offline) || isTrue(env.JSL_MED_OFFLINE) || isTrue(env.HF_HUB_OFFLINE),
  }
  const parsed = parseModelRef(options.ref, {catalog: context.catalog, hfEndpoint: hfEndpoint(env)})
  if (options.mmproj && parsed.kind !== 'file') {
    throw new UsageError('--mmproj is only for importing a local model', {hint: 'Catalog and hf: vision models bring their mmproj along.'})
  }

  if (options.as !== undefined) checkAlias(options.as)
  if (parsed.kind === 'unknown') throw unknownModelError(parsed.name, context.catalog)
  const result = parsed.kind === 'file' ? await importLocal(parsed.path, context) : await download(parsed, context)
  return {...result, durationMs: Date.now() - startedAt}
}

function checkAlias(alias: string): void {
  if (!/^[\w][\w.:@/-]*$/.test(alias) || alias.includes('..')) {
    throw new UsageError(`Bad name for --as: "${alias}"`, {hint: 'Use letters, digits and . _ - : (e.g. --as my-model or --as jsl-meds:q4).'}, 'E_BAD_ALIAS')
  }
}

function isTrue(value: string | undefined): boolean {
  return value === '1' || value?.toLowerCase() === 'true'
}

/** ModelNotFoundError for a name that is neither a file, nor a reference, nor in the catalog. */
export function unknownModelError(name: string, catalog: StoreCatalog): ModelNotFoundError {
  const ids = catalog.listModels().map((model) => model.id)
  const close = ids.filter((id) => id.includes(name.toLowerCase().split(/[:\s]/)[0]) || name.toLowerCase().includes(id)).slice(0, 3)
  return new ModelNotFoundError(`"${name}" is not a catalog model, a file or a model reference`, {
    hint: `${close.length > 0 ? `Did you mean ${close.join(', ')}? ` : ''}Catalog models: ${ids.join(', ')}. Also accepted: hf:owner/repo:Q4_K_M, hf:owner/repo/file.gguf, an https URL or a .gguf file.`,
  }, 'E_UNKNOWN_MODEL')
}

// ---------------------------------------------------------------------------------------------------------------
// Downloads

async function download(parsed: Exclude<ParsedRef, {kind: 'file'} | {kind: 'unknown'}>, context: Context): Promise<Omit<PullResult, 'durationMs'>> {
  const {options} = context
  const quantChoice = options.quant ?? 'auto'
  const identity = identify(parsed, quantChoice, context)
  const manifest = await readManifest(context.modelsDir)
  const installed = manifest.models.filter((entry) => identity.matches(entry)).sort((a, b) => QUANT_ORDER.indexOf(a.quant!) - QUANT_ORDER.indexOf(b.quant!))[0]
  if (installed && !options.force && (await isPresent(context.modelsDir, installed))) {
    context.log('debug', `${installed.id} is already installed`)
    const entry = options.as && options.as !== installed.id ? await addAlias(installed, options.as, context) : installed
    return resultOf(entry, context.modelsDir, {alreadyInstalled: true, transferredBytes: 0, resumedFromBytes: 0})
  }

  if (identity.notDownloadable) throw identity.notDownloadable
  if (context.offline) {
    throw new ModelNotFoundError(`${options.ref} is not installed, and offline mode forbids downloading it`, {
      hint: `Run without --offline (and without JSL_MED_OFFLINE / HF_HUB_OFFLINE): jsl-med pull ${options.ref}${identity.quantFlag}`,
    }, 'E_OFFLINE')
  }

  const hub = await createHubContext(context.env, options.fetch ?? fetch, options.signal)
  const plan = await makePlan(parsed, identity, hub, context)
  const locks: Lock[] = []
  try {
    const main = await installFile(plan.main, hub, context, locks)
    const mmproj = plan.mmproj ? await installFile(plan.mmproj, hub, context, locks) : undefined
    const entry: ManifestEntry = {
      id: plan.id,
      refs: [],
      ...(plan.catalogId ? {catalogId: plan.catalogId} : {}),
      ...(plan.quant ? {quant: plan.quant} : {}),
      ...(plan.quantName ? {quantName: plan.quantName} : {}),
      file: plan.main.file,
      sizeBytes: main.sizeBytes,
      sha256: main.sha256,
      checksumSource: main.checksumSource,
      source: {...plan.source, ...(main.commit ? {commit: main.commit} : {})},
      ...(plan.license ? {license: plan.license} : {}),
      ...(mmproj && plan.mmproj ? {mmproj: {file: plan.mmproj.file, sizeBytes: mmproj.sizeBytes, sha256: mmproj.sha256, checksumSource: mmproj.checksumSource}} : {}),
      installedAt: new Date().toISOString(),
    }
    if (plan.refKey && plan.refKey !== plan.id) entry.refs.push(plan.refKey)
    await recordEntry(entry, context)
    return resultOf(entry, context.modelsDir, {
      alreadyInstalled: main.transferredBytes === 0 && (mmproj?.transferredBytes ?? 0) === 0,
      transferredBytes: main.transferredBytes + (mmproj?.transferredBytes ?? 0),
      resumedFromBytes: main.resumedFromBytes + (mmproj?.resumedFromBytes ?? 0),
    })
  } finally {
    for (const lock of locks.reverse()) await lock.release()
  }
}

/** How a reference is recognised in the manifest before any network access. */
interface Identity {
  matches(entry: ManifestEntry): boolean
  /** `--quant …` to repeat in hints, or ''. */
  quantFlag: string
  catalogQuant?: Quant
  refKey?: string
  /** Why a model that is not installed cannot be downloaded (licensed models the user must import). */
  notDownloadable?: ModelNotFoundError
}

function identify(parsed: Exclude<ParsedRef, {kind: 'file'} | {kind: 'unknown'}>, quantChoice: QuantChoice, context: Context): Identity {
  const quantFlag = quantChoice === 'auto' ? '' : ` --quant ${quantChoice}`
  switch (parsed.kind) {
    case 'catalog': {
      if (parsed.quant && quantChoice !== 'auto' && parsed.quant !== quantChoice) {
        throw new UsageError(`${context.options.ref} asks for ${parsed.quant} but --quant says ${quantChoice}`, {hint: 'Give the quantization once.'})
      }

      const choice = parsed.quant ?? quantChoice
      const quant = choice === 'auto' ? undefined : pickCatalogQuant(parsed.model, choice)
      const {model} = parsed
      const notDownloadable =
        model.userSupplied || !model.repo
          ? new ModelNotFoundError(`${model.id} is not installed, and it cannot be downloaded`, {hint: model.userSupplied?.note ?? `Import your copy: jsl-med pull ./FILE.gguf --as ${model.id}`}, 'E_NOT_DOWNLOADABLE')
          : undefined
      // With auto, any installed tier will do: pulling a model twice never downloads a second tier.
      return {quantFlag, catalogQuant: quant, notDownloadable, matches: (entry) => entry.catalogId === model.id && (quant === undefined ? entry.quant !== undefined : entry.quant === quant)}
    }

    case 'hf-file': {
      const ref = hfFileRef(parsed.repo, parsed.path, parsed.revision)
      return {quantFlag, matches: (entry) => entry.source.ref === ref}
    }

    case 'hf-quant':
    case 'hf-repo': {
      const exact = parsed.kind === 'hf-quant' && !classTag(parsed.quantName) ? parsed.quantName : undefined
      const quant = exact ? undefined : parsed.kind === 'hf-quant' ? classTag(parsed.quantName)! : quantChoice === 'auto' ? 'q4' : quantChoice
      const refKey = `hf:${parsed.repo}:${exact ?? quant}${parsed.revision === 'main' ? '' : `@${parsed.revision}`}`
      // Any installed file of the repo at that revision with the quantization asked for will do.
      const sameRepo = (entry: ManifestEntry): boolean => entry.source.kind === 'hf' && entry.source.repo === parsed.repo && entry.source.revision === parsed.revision
      return {
        quantFlag,
        refKey,
        matches: (entry) => entry.refs.includes(refKey) || entry.id === refKey || (sameRepo(entry) && (exact ? entry.quantName === exact : entry.quant === quant)),
      }
    }

    case 'url': {
      const ref = displayUrl(parsed.url)
      return {quantFlag, matches: (entry) => entry.source.ref === ref}
    }
  }
}

function pickCatalogQuant(model: StoreCatalogModel, quant: Quant): Quant {
  const available = QUANT_ORDER.filter((tier) => model.variants[tier])
  if (!model.variants[quant]) {
    throw new ModelNotFoundError(`${model.id} is not published in ${quant}`, {hint: `Available: ${available.join(', ') || 'none'}; pass --quant ${available[0] ?? 'q4'}.`}, 'E_QUANT_NOT_AVAILABLE')
  }

  return quant
}

/**
 * The tier for `--quant auto`: the injected chooser's (the CLI passes the hardware advisor), else the smallest
 * tier the model is published in.
 */
async function autoQuant(model: StoreCatalogModel, context: Context): Promise<Quant> {
  const available = QUANT_ORDER.filter((tier) => model.variants[tier])
  if (available.length === 0) throw new ModelNotFoundError(`${model.id} has no downloadable files in the catalog`, {hint: 'Report the catalog entry.'}, 'E_QUANT_NOT_AVAILABLE')
  const chosen = context.options.chooseQuant ? await context.options.chooseQuant(model, available) : undefined
  if (chosen && available.includes(chosen.quant)) {
    context.log('info', `--quant auto: ${chosen.quant} (${chosen.reason})`)
    return chosen.quant
  }

  context.log('info', `--quant auto: ${available[0]} (the smallest published)`)
  return available[0]
}

async function makePlan(parsed: Exclude<ParsedRef, {kind: 'file'} | {kind: 'unknown'}>, identity: Identity, hub: HubContext, context: Context): Promise<Plan> {
  const as = context.options.as
  switch (parsed.kind) {
    case 'catalog': {
      const {model} = parsed
      const quant = identity.catalogQuant ?? (await autoQuant(model, context))
      const variant = model.variants[quant]!
      const repo = model.repo!
      const planned = (file: typeof variant): PlannedFile => ({
        name: basename(file.file),
        file: `hf/${repo}/${file.file}`,
        hub: {repo, revision: model.revision, path: file.file},
        expectedSha256: file.sha256?.toLowerCase(),
        expectedSizeBytes: file.verified ? file.sizeBytes : undefined,
        checksumSource: file.sha256 ? 'catalog' : 'computed',
      })
      return {
        id: as ?? `${model.id}:${quant}`,
        main: planned(variant),
        mmproj: model.mmproj ? planned(model.mmproj) : undefined,
        catalogId: model.id,
        quant,
        quantName: variant.quantName,
        source: {kind: 'catalog', ref: hfFileRef(repo, variant.file, model.revision), repo, revision: model.revision},
        license: model.license,
      }
    }

    case 'hf-file': {
      const info = await fetchHubModelInfo(hub, parsed.repo, parsed.revision)
      const quantName = quantNameOf(parsed.path)
      const ref = hfFileRef(parsed.repo, parsed.path, parsed.revision)
      return {
        id: as ?? ref,
        main: {name: basename(parsed.path), file: `hf/${parsed.repo}/${parsed.path}`, hub: {repo: parsed.repo, revision: parsed.revision, path: parsed.path}, checksumSource: 'computed'},
        quant: quantClassOf(quantName),
        quantName,
        source: {kind: 'hf', ref, repo: parsed.repo, revision: parsed.revision},
        license: info?.license,
      }
    }

    case 'hf-quant':
    case 'hf-repo': {
      const tree = await withRetries(() => listHubTree(hub, parsed.repo, parsed.revision), context, `listing ${parsed.repo}`)
      const tag = parsed.kind === 'hf-quant' ? parsed.quantName : undefined
      const quantClass = tag === undefined ? (context.options.quant === undefined || context.options.quant === 'auto' ? 'q4' : context.options.quant) : classTag(tag)
      const chosen = pickTreeFile(tree, parsed.repo, tag !== undefined && quantClass === undefined ? tag : undefined, quantClass)
      const mmproj = pickMmproj(tree, chosen.path)
      const info = await fetchHubModelInfo(hub, parsed.repo, parsed.revision)
      const quantName = quantNameOf(chosen.path)
      const ref = hfFileRef(parsed.repo, chosen.path, parsed.revision)
      const fromTree = (entry: TreeEntry): PlannedFile => ({
        name: basename(entry.path),
        file: `hf/${parsed.repo}/${entry.path}`,
        hub: {repo: parsed.repo, revision: parsed.revision, path: entry.path},
        expectedSha256: entry.lfs?.oid?.toLowerCase(),
        expectedSizeBytes: entry.lfs?.size ?? entry.size,
        checksumSource: entry.lfs?.oid ? 'hub' : 'computed',
      })
      return {
        id: as ?? ref,
        refKey: identity.refKey,
        main: fromTree(chosen),
        mmproj: mmproj ? fromTree(mmproj) : undefined,
        quant: quantClassOf(quantName),
        quantName,
        source: {kind: 'hf', ref, repo: parsed.repo, revision: parsed.revision},
        license: info?.license,
      }
    }

    case 'url': {
      const ref = displayUrl(parsed.url)
      if (parsed.url.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(parsed.url.hostname)) {
        context.log('warn', `${ref} is plain http: the file can be altered in transit, and it has no published checksum to catch it`)
      }

      const name = decodeURIComponent(parsed.url.pathname.split('/').pop() || 'model.gguf')
      const quantName = quantNameOf(name)
      return {
        id: as ?? ref,
        main: {name, file: `url/${sanitize(parsed.url.host)}/${sanitize(name)}`, url: parsed.url, checksumSource: 'computed'},
        quant: quantClassOf(quantName),
        quantName,
        source: {kind: 'url', ref},
      }
    }
  }
}

/** `q4`/`q8`/`q16` as an `hf:repo:TAG` tag means a tier, anything else an exact quant name. */
function classTag(tag: string): Quant | undefined {
  const lower = tag.toLowerCase()
  return lower === 'q4' || lower === 'q8' || lower === 'q16' ? lower : undefined
}

function pickTreeFile(tree: TreeEntry[], repo: string, quantName: string | undefined, quantClass: Quant | undefined): TreeEntry {
  const models = tree.filter((entry) => entry.type === 'file' && /\.gguf$/i.test(entry.path) && !isMmprojFile(entry.path))
  const byName = (name: string): TreeEntry[] =>
    models.filter((entry) => quantNameOf(entry.path) === name.toUpperCase()).sort((a, b) => a.path.split('/').length - b.path.split('/').length || a.path.localeCompare(b.path))
  let matches: TreeEntry[] = []
  if (quantName) {
    matches = byName(quantName)
  } else if (quantClass) {
    for (const name of PREFERRED_QUANT_NAMES[quantClass]) {
      matches = byName(name)
      if (matches.length > 0) break
    }

    if (matches.length === 0) matches = models.filter((entry) => quantClassOf(quantNameOf(entry.path)) === quantClass)
  }

  const available = [...new Set(models.map((entry) => quantNameOf(entry.path)).filter(Boolean))].join(', ')
  if (matches.length === 0) {
    throw new ModelNotFoundError(`${repo} has no ${quantName ?? quantClass} GGUF file`, {
      hint: available ? `Quantizations in the repo: ${available}; e.g. hf:${repo}:${available.split(', ')[0]}` : `The repo has no .gguf files; see ${repo} on the hub.`,
    }, 'E_QUANT_NOT_FOUND')
  }

  const chosen = matches[0]
  if (isSplitPart(chosen.path)) {
    throw new UsageError(`${chosen.path} is one part of a split GGUF, which jsl-med cannot install yet`, {hint: 'Pick a smaller quantization that ships as one file.'}, 'E_SPLIT_GGUF')
  }

  return chosen
}

/** llama.cpp's choice of projector: a `*mmproj*.gguf` in the model's directory, with the closest bits per weight. */
function pickMmproj(tree: TreeEntry[], modelPath: string): TreeEntry | undefined {
  const dir = dirname(modelPath)
  const bits = quantBits(quantNameOf(modelPath) ?? '') ?? 16
  return tree
    .filter((entry) => entry.type === 'file' && /\.gguf$/i.test(entry.path) && isMmprojFile(entry.path) && dirname(entry.path) === dir)
    .map((entry) => ({entry, distance: Math.abs((quantBits(quantNameOf(entry.path) ?? '') ?? 16) - bits)}))
    .sort((a, b) => a.distance - b.distance || a.entry.path.localeCompare(b.entry.path))[0]?.entry
}

/** One installed file and how it got there. */
interface InstalledOutcome {
  sha256: string
  sizeBytes: number
  checksumSource: ChecksumSource
  transferredBytes: number
  resumedFromBytes: number
  commit?: string
}

/**
 * Downloads one planned file under its lock. After the lock is won (perhaps after waiting for another pull of
 * the same file), a file that is already in place and verified is reused instead of downloaded again.
 */
async function installFile(planned: PlannedFile, hub: HubContext, context: Context, locks: Lock[]): Promise<InstalledOutcome> {
  const {options} = context
  const dest = join(context.modelsDir, ...planned.file.split('/'))
  await mkdir(dirname(dest), {recursive: true}).catch((error: unknown) => {
    throw fsError(error, dirname(dest))
  })
  const lock = await acquireLock(`${dest}.lock`, {
    signal: options.signal,
    onWait: (holder) => context.log('info', `Waiting for another jsl-med${holder ? ` (pid ${holder.pid})` : ''} that is downloading ${planned.name}…`),
  })
  locks.push(lock)

  const reused = await reuseExisting(planned, dest, context)
  if (reused) return reused

  let meta: RemoteFileInfo = {contentUrl: ''}
  let part: PartFile | undefined
  let expectedSha256 = planned.expectedSha256
  let checksumSource = planned.checksumSource
  let shaFrom = planned.checksumSource === 'catalog' ? 'the catalog' : 'the hub tree'
  await withRetries(async () => {
    meta = planned.hub ? await headHubFile(hub, planned.hub) : await headUrl(planned.url!, hub)
    if (meta.sha256 && expectedSha256 && meta.sha256 !== expectedSha256) {
      throw new DownloadError(`${planned.name}: ${shaFrom} expects sha256 ${expectedSha256}, but the hub serves ${meta.sha256}`, {
        hint: 'The file changed upstream; nothing was downloaded. Pin a revision (hf:owner/repo/file.gguf@<commit>) or report the catalog entry.',
      }, 'E_CHECKSUM')
    }

    if (!expectedSha256 && meta.sha256) {
      expectedSha256 = meta.sha256
      checksumSource = 'hub'
      shaFrom = 'the hub (X-Linked-Etag)'
    }

    if (planned.expectedSizeBytes !== undefined && meta.sizeBytes !== undefined && planned.expectedSizeBytes !== meta.sizeBytes) {
      throw new DownloadError(`${planned.name}: expected ${planned.expectedSizeBytes} bytes, the hub serves ${meta.sizeBytes}`, {hint: 'The file changed upstream; nothing was downloaded.'}, 'E_SIZE_MISMATCH')
    }

    const totalBytes = planned.expectedSizeBytes ?? meta.sizeBytes
    part ??= await openPart(dest, {expectedSizeBytes: totalBytes, name: planned.name, onProgress: options.onProgress})
    if (part.transferredBytes === 0 && part.resumedFromBytes > 0) {
      const share = totalBytes ? ` (${Math.floor((part.resumedFromBytes / totalBytes) * 100)}%)` : ''
      context.log('info', `${planned.name}: resuming from the ${formatBytes(part.resumedFromBytes)}${share} already on disk`)
    }

    if (totalBytes !== undefined) await checkFreeSpace(dirname(dest), totalBytes - part.bytes, context.log)
    await fetchIntoPart(part, meta.contentUrl, hub, {
      name: planned.name,
      totalBytes,
      signal: options.signal,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      onProgress: options.onProgress,
      log: context.log,
      onHttpError: (response) => (planned.hub ? hubError(response, hub, planned.hub) : statusError(response, new URL(meta.contentUrl), hub.token)),
    })
  }, context, planned.name)

  if (!expectedSha256) context.log('warn', `${planned.name}: no published sha256 to check against; recording the one computed`)
  const finished = await finishPart(part!, dest, {sha256: expectedSha256, sizeBytes: planned.expectedSizeBytes ?? meta.sizeBytes, from: shaFrom}, validateGgufFile)
  context.log('debug', `${planned.name}: sha256 ${finished.sha256} ${expectedSha256 ? 'verified' : 'recorded'}`)
  return {
    ...finished,
    checksumSource: expectedSha256 ? checksumSource : 'computed',
    transferredBytes: part!.transferredBytes,
    resumedFromBytes: part!.resumedFromBytes,
    commit: meta.commit,
  }
}

/**
 * A file already at `dest` (installed by a pull that held the lock before us, or left by a crash between the
 * rename and the manifest) is reused when the manifest vouches for it or its sha256 matches the expected one.
 */
async function reuseExisting(planned: PlannedFile, dest: string, context: Context): Promise<InstalledOutcome | undefined> {
  const existing = await stat(dest).catch(() => undefined)
  if (!existing?.isFile() || context.options.force) return undefined
  const manifest = await readManifest(context.modelsDir)
  const files = manifest.models.flatMap((entry) => (entry.mmproj ? [entry, entry.mmproj] : [entry]))
  const known = files.find((file) => file.file === planned.file && file.sizeBytes === existing.size)
  if (known && (!planned.expectedSha256 || known.sha256 === planned.expectedSha256)) {
    context.log('info', `${planned.name} is already in the store`)
    return {sha256: known.sha256, sizeBytes: known.sizeBytes, checksumSource: known.checksumSource, transferredBytes: 0, resumedFromBytes: 0}
  }

  if (!planned.expectedSha256) return undefined
  if ((await sha256File(dest)) !== planned.expectedSha256) return undefined
  context.log('info', `${planned.name} is already on disk and its sha256 matches`)
  return {sha256: planned.expectedSha256, sizeBytes: existing.size, checksumSource: planned.checksumSource, transferredBytes: 0, resumedFromBytes: 0}
}

async function headUrl(url: URL, http: HttpContext): Promise<RemoteFileInfo> {
  const {response, url: finalUrl} = await request(url.toString(), http, {method: 'HEAD'})
  await response.body?.cancel()
  // Some servers refuse HEAD; the GET will tell.
  if (!response.ok) return response.status === 405 || response.status === 501 ? {contentUrl: url.toString()} : Promise.reject(statusError(response, url, http.token))
  const length = response.headers.get('content-length')
  return {contentUrl: finalUrl, sizeBytes: length && /^\d+$/.test(length) ? Number(length) : undefined}
}

/** Runs `action`, retrying TransientErrors with exponential backoff; the last one becomes a DownloadError (exit 5). */
async function withRetries<T>(action: () => Promise<T>, context: Context, what: string): Promise<T> {
  const retries = context.options.retries ?? 3
  const delayMs = context.options.retryDelayMs ?? 1000
  for (let attempt = 0; ; attempt++) {
    try {
      return await action()
    } catch (error) {
      if (!(error instanceof TransientError)) throw error
      if (attempt >= retries) {
        throw new DownloadError(error.message, {cause: error, hint: error.hint, details: {attempts: attempt + 1}}, 'E_DOWNLOAD_INTERRUPTED')
      }

      const waitMs = delayMs * 2 ** attempt
      context.log('warn', `${error.message}; retrying ${what} in ${(waitMs / 1000).toFixed(1)} s (${attempt + 1}/${retries})`)
      try {
        await sleep(waitMs, undefined, {signal: context.options.signal})
      } catch {
        throw new InterruptedError()
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Local imports

async function importLocal(path: string, context: Context): Promise<Omit<PullResult, 'durationMs'>> {
  const {options} = context
  const source = resolvePath(path)
  await validateLocal(source, path)
  if (options.mmproj) await validateLocal(resolvePath(options.mmproj), options.mmproj)

  const fileName = basename(source)
  const name = options.as ?? fileName.replace(/\.gguf$/i, '').toLowerCase()
  const [base, tag] = name.includes(':') ? [name.slice(0, name.lastIndexOf(':')), name.slice(name.lastIndexOf(':') + 1).toLowerCase()] : [name, undefined]
  const model = context.catalog.findModel(name) ?? (tag ? context.catalog.findModel(base) : undefined)
  const quantName = quantNameOf(fileName)
  const tagQuant = tag === 'q4' || tag === 'q8' || tag === 'q16' ? tag : undefined
  const quant = tagQuant ?? (options.quant && options.quant !== 'auto' ? options.quant : quantClassOf(quantName))
  const variant = model && quant ? model.variants[quant] : undefined
  const id = model ? (quant ? `${model.id}:${quant}` : model.id) : name
  if (model && !quant) context.log('warn', `cannot tell the quantization of ${fileName}; pass --quant q4|q8|q16 so that --model ${model.id}:<quant> finds it`)

  const manifest = await readManifest(context.modelsDir)
  const sourceStats = await stat(source)
  const installed = manifest.models.find((entry) => entry.id === id && entry.source.kind === 'file' && entry.source.ref === source && entry.sizeBytes === sourceStats.size)
  if (installed && !options.force && (await isPresent(context.modelsDir, installed))) {
    context.log('info', `${id} is already imported from ${source}`)
    return resultOf(installed, context.modelsDir, {alreadyInstalled: true, transferredBytes: 0, resumedFromBytes: 0})
  }

  const dir = `local/${sanitize(id)}`
  const locks: Lock[] = []
  try {
    const main = await copyFile(source, `${dir}/${sanitize(fileName)}`, {sha256: variant?.sha256, sizeBytes: variant?.verified ? variant.sizeBytes : undefined}, context, locks)
    const mmprojSource = options.mmproj ? resolvePath(options.mmproj) : undefined
    const mmproj = mmprojSource
      ? await copyFile(mmprojSource, `${dir}/${sanitize(basename(mmprojSource))}`, {sha256: model?.mmproj?.sha256, sizeBytes: model?.mmproj?.verified ? model.mmproj.sizeBytes : undefined}, context, locks)
      : undefined
    const entry: ManifestEntry = {
      id,
      refs: options.as && options.as !== id ? [options.as] : [],
      ...(model ? {catalogId: model.id} : {}),
      ...(quant ? {quant} : {}),
      ...(quantName ? {quantName} : {}),
      ...main,
      source: {kind: 'file', ref: source},
      ...(model ? {license: model.license} : {}),
      ...(mmproj ? {mmproj} : {}),
      installedAt: new Date().toISOString(),
    }
    await recordEntry(entry, context)
    return resultOf(entry, context.modelsDir, {alreadyInstalled: false, transferredBytes: main.sizeBytes + (mmproj?.sizeBytes ?? 0), resumedFromBytes: 0})
  } finally {
    for (const lock of locks.reverse()) await lock.release()
  }
}

async function validateLocal(path: string, given: string): Promise<void> {
  try {
    await validateGgufFile(path)
  } catch (error) {
    if (error instanceof ModelNotFoundError && /^[\w.-]+\/[\w.-]+(?::\w+)?$/.test(given)) {
      throw new ModelNotFoundError(error.message, {cause: error, hint: `To download from Hugging Face, write hf:${given}.`}, error.code)
    }

    throw error
  }
}

async function copyFile(source: string, file: string, expected: {sha256?: string; sizeBytes?: number}, context: Context, locks: Lock[]): Promise<InstalledFile> {
  const dest = join(context.modelsDir, ...file.split('/'))
  const name = basename(source)
  await mkdir(dirname(dest), {recursive: true}).catch((error: unknown) => {
    throw fsError(error, dirname(dest))
  })
  locks.push(await acquireLock(`${dest}.lock`, {signal: context.options.signal, onWait: () => context.log('info', `Waiting for another jsl-med that is writing ${name}…`)}))
  await checkFreeSpace(dirname(dest), (await stat(source)).size, context.log)
  const part = await openPart(dest, {name})
  await copyIntoPart(part, source, {name, signal: context.options.signal, onProgress: context.options.onProgress})
  const finished = await finishPart(part, dest, {...expected, from: 'the catalog'})
  return {file, ...finished, checksumSource: expected.sha256 ? 'catalog' : 'computed'}
}

// ---------------------------------------------------------------------------------------------------------------
// Manifest helpers

async function recordEntry(entry: ManifestEntry, context: Context): Promise<void> {
  await updateManifest(context.modelsDir, (manifest) => {
    const previous = manifest.models.find((model) => model.id === entry.id)
    if (previous) entry.refs = [...new Set([...previous.refs, ...entry.refs])]
    manifest.models = [...manifest.models.filter((model) => model.id !== entry.id), entry]
  })
}

async function addAlias(entry: ManifestEntry, alias: string, context: Context): Promise<ManifestEntry> {
  const aliased: ManifestEntry = {...entry, id: alias, refs: [], installedAt: new Date().toISOString()}
  await recordEntry(aliased, context)
  return aliased
}

async function isPresent(modelsDir: string, entry: ManifestEntry): Promise<boolean> {
  const sized = async (file: InstalledFile): Promise<boolean> => (await stat(join(modelsDir, ...file.file.split('/'))).catch(() => undefined))?.size === file.sizeBytes
  return (await sized(entry)) && (!entry.mmproj || (await sized(entry.mmproj)))
}

function resultOf(entry: ManifestEntry, modelsDir: string, transfer: {alreadyInstalled: boolean; transferredBytes: number; resumedFromBytes: number}): Omit<PullResult, 'durationMs'> {
  return {
    id: entry.id,
    path: join(modelsDir, ...entry.file.split('/')),
    sizeBytes: entry.sizeBytes,
    sha256: entry.sha256,
    verified: entry.checksumSource !== 'computed',
    checksumSource: entry.checksumSource,
    source: entry.source.ref,
    sourceKind: entry.source.kind,
    ...(entry.source.repo ? {repo: entry.source.repo} : {}),
    ...(entry.source.revision ? {revision: entry.source.revision} : {}),
    ...(entry.source.commit ? {commit: entry.source.commit} : {}),
    ...(entry.license ? {license: entry.license} : {}),
    ...(entry.catalogId ? {catalogId: entry.catalogId} : {}),
    ...(entry.quant ? {quant: entry.quant} : {}),
    ...(entry.quantName ? {quantName: entry.quantName} : {}),
    ...(entry.mmproj
      ? {mmproj: {path: join(modelsDir, ...entry.mmproj.file.split('/')), sizeBytes: entry.mmproj.sizeBytes, sha256: entry.mmproj.sha256, verified: entry.mmproj.checksumSource !== 'computed'}}
      : {}),
    ...transfer,
  }
}

/** A path segment safe on every file system. */
function sanitize(text: string): string {
  return text.replaceAll(/[^\w.@+-]/g, '_').replace(/^\.+/, '_')
}

