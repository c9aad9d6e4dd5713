import {stat} from 'node:fs/promises'
import {join, resolve as resolvePath} from 'node:path'

import {findModel, listModels} from '../../catalog/index.js'
import {ModelNotFoundError, UsageError} from '../../errors/index.js'
import {directoryModelError, readGgufQuantName} from '../../gguf/index.js'
import {resolveDirs} from '../../paths/index.js'
import {didYouMean, suggestNames} from '../../suggest/index.js'
import type {Lock} from '../lock.js'
import {readManifest} from '../manifest.js'
import {quantClassOf} from '../quant.js'
import {parseModelRef} from '../refs.js'
import {createHubContext, hfEndpoint} from '../remote/hub.js'
import type {ManifestEntry, PullOptions, PullResult, StoreCatalog} from '../types.js'
import {importLocal} from './import-local.js'
import {installFile} from './install-file.js'
import {addAlias, isPresent, pullResultOf, recordEntry} from './manifest-entry.js'
import {installTargetOf, QUANT_ORDER, type RemoteRef} from './plan.js'
import type {PullRun} from './pull-run.js'

/** The built-in catalog, as the store's default. */
export const builtInCatalog: StoreCatalog = {listModels, findModel}

/**
 * Installs a model in the store: a catalog alias, an `hf:` reference or a URL is downloaded (resuming any
 * `*.part` an interrupted run left, checking size and sha256 against the catalog or the hub, validating the
 * GGUF header, renaming into place under a lock, and recording it in the manifest); a local `.gguf` is validated
 * and copied in. Already installed models return at once without touching the network.
 */
export async function pullModel(options: PullOptions): Promise<PullResult> {
  const startedAt = Date.now()
  const env = options.env ?? process.env
  const log = options.log ?? (() => {})
  const run: PullRun = {
    modelsDir: resolvePath((options.dirs ?? resolveDirs({env})).modelsDir),
    catalog: options.catalog ?? builtInCatalog,
    env,
    log,
    options,
    offline: Boolean(options.offline) || offlineByEnv(env),
    retry: {retries: options.retries, delayMs: options.retryDelayMs, signal: options.signal, log},
  }
  const parsed = parseModelRef(options.ref, {catalog: run.catalog, hfEndpoint: hfEndpoint(env)})
  if (options.mmproj && parsed.kind !== 'file') {
    throw new UsageError('--mmproj is only for importing a local model', {hint: 'Catalog and hf: vision models bring their mmproj along.'})
  }

  if (options.as !== undefined) checkAlias(options.as)
  if (parsed.kind === 'unknown') {
    if ((await stat(options.ref).catch(() => undefined))?.isDirectory()) throw directoryModelError(options.ref)
    throw unknownModelError(parsed.name, run.catalog)
  }

  const result = parsed.kind === 'file' ? await importLocal(parsed.path, run) : await download(parsed, run)
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

/** Whether the environment forbids the network: `JSL_MED_OFFLINE` or `HF_HUB_OFFLINE` set to `1` or `true`. */
export function offlineByEnv(env: NodeJS.ProcessEnv): boolean {
  return isTrue(env.JSL_MED_OFFLINE) || isTrue(env.HF_HUB_OFFLINE)
}

/**
 * ModelNotFoundError for a name that is neither a file, nor a reference, nor in the catalog (nor installed). Its
 * hint names the closest catalog ids, aliases or installed names by edit distance (`qwen3-17b` → `qwen3-1.7b`);
 * only when none is close does it list the catalog.
 */
export function unknownModelError(name: string, catalog: StoreCatalog, installed: readonly string[] = []): ModelNotFoundError {
  const ids = catalog.listModels().map((model) => model.id)
  const names = [...installed, ...catalog.listModels().flatMap((model) => [model.id, ...(model.aliases ?? [])])]
  const [base, tag] = name.includes(':') && !name.startsWith('hf:') ? [name.slice(0, name.lastIndexOf(':')), name.slice(name.lastIndexOf(':'))] : [name, '']
  const close = suggestNames(name, names)
  const closeBase = close.length > 0 || !tag ? [] : suggestNames(base, names).map((suggestion) => suggestion + tag)
  const suggestion = didYouMean(close.length > 0 ? close : closeBase)
  const also = 'Also accepted: an installed id (jsl-med models), hf:owner/repo:Q4_K_M, hf:owner/repo/file.gguf, an https URL or a .gguf file.'
  return new ModelNotFoundError(`"${name}" is not a catalog model, an installed model, a file or a model reference`, {
    hint: suggestion ? `${suggestion} ${also}` : `Catalog models: ${ids.join(', ')}. ${also}`,
  }, 'E_UNKNOWN_MODEL')
}

/**
 * Downloads a model unless the manifest already has it: recognises the reference, then (online only) plans the
 * files, installs each under its lock and records the entry.
 */
async function download(parsed: RemoteRef, run: PullRun): Promise<Omit<PullResult, 'durationMs'>> {
  const {options} = run
  const target = installTargetOf(parsed, run)
  const manifest = await readManifest(run.modelsDir)
  const installed = manifest.models.filter((entry) => target.matches(entry)).sort((a, b) => QUANT_ORDER.indexOf(a.quant!) - QUANT_ORDER.indexOf(b.quant!))[0]
  if (installed && !options.force && (await isPresent(run.modelsDir, installed))) {
    run.log('debug', `${installed.id} is already installed`)
    const entry = options.as && options.as !== installed.id ? await addAlias(installed, options.as, run) : installed
    return pullResultOf(entry, run.modelsDir, {alreadyInstalled: true, transferredBytes: 0, resumedFromBytes: 0})
  }

  if (target.notDownloadable) throw target.notDownloadable
  if (run.offline) {
    throw new ModelNotFoundError(`${options.ref} is not installed, and offline mode forbids downloading it`, {
      hint: `Run without --offline (and without JSL_MED_OFFLINE / HF_HUB_OFFLINE): jsl-med pull ${options.ref}${target.quantFlag}`,
    }, 'E_OFFLINE')
  }

  const hub = await createHubContext(run.env, options.fetch ?? fetch, options.signal)
  const plan = await target.plan(hub)
  const locks: Lock[] = []
  try {
    const main = await installFile(plan.main, hub, run, locks)
    const mmproj = plan.mmproj ? await installFile(plan.mmproj, hub, run, locks) : undefined
    const quantName = plan.quantName ?? (await readGgufQuantName(join(run.modelsDir, ...plan.main.file.split('/'))))
    const quant = plan.quant ?? quantClassOf(quantName)
    const entry: ManifestEntry = {
      id: plan.id,
      refs: [],
      ...(plan.catalogId ? {catalogId: plan.catalogId} : {}),
      ...(quant ? {quant} : {}),
      ...(quantName ? {quantName} : {}),
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
    await recordEntry(entry, run)
    return pullResultOf(entry, run.modelsDir, {
      alreadyInstalled: main.transferredBytes === 0 && (mmproj?.transferredBytes ?? 0) === 0,
      transferredBytes: main.transferredBytes + (mmproj?.transferredBytes ?? 0),
      resumedFromBytes: main.resumedFromBytes + (mmproj?.resumedFromBytes ?? 0),
    })
  } finally {
    for (const lock of locks.reverse()) await lock.release()
  }
}
