import {basename} from 'node:path'

import {ModelNotFoundError, UsageError} from '../../errors/index.js'
import {quantClassOf, quantNameOf} from '../quant.js'
import {displayUrl, hfFileRef, type ParsedRef} from '../refs.js'
import {fetchHubModelInfo, listHubTree, type HubContext, type TreeEntry} from '../remote/hub.js'
import {withRetries} from '../remote/retry.js'
import type {ChecksumSource, ManifestEntry, ModelSource, Quant, QuantChoice, StoreCatalogModel} from '../types.js'
import {pickMmproj, pickTreeFile, quantTierOfTag} from './pick-hub-file.js'
import {safePathSegment, type PullRun} from './pull-run.js'

/** The tiers, smallest first. */
export const QUANT_ORDER: readonly Quant[] = ['q4', 'q8', 'q16']

/** A model reference that is downloaded (every kind but a local file and an unknown name). */
export type RemoteRef = Exclude<ParsedRef, {kind: 'file'} | {kind: 'unknown'}>

/** One file to install. */
export interface PlannedFile {
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
export interface InstallPlan {
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

/**
 * What a downloadable reference asks to install: how to recognise it in the manifest before any network access,
 * and how to plan its download when it is not installed yet.
 */
export interface InstallTarget {
  matches(entry: ManifestEntry): boolean
  /** `--quant …` to repeat in hints, or ''. */
  quantFlag: string
  /** Why a model that is not installed cannot be downloaded (licensed models the user must import). */
  notDownloadable?: ModelNotFoundError
  /** Works out the files to download, asking the hub when needed; called only when the model is not installed. */
  plan(hub: HubContext): Promise<InstallPlan>
}

type KindTarget = Omit<InstallTarget, 'quantFlag'>

/**
 * The install target of a downloadable reference, from the one function that knows its kind. Throws UsageError
 * or ModelNotFoundError for a quantization that contradicts the reference or is not published.
 */
export function installTargetOf(parsed: RemoteRef, run: PullRun): InstallTarget {
  const quantChoice = run.options.quant ?? 'auto'
  const quantFlag = quantChoice === 'auto' ? '' : ` --quant ${quantChoice}`
  switch (parsed.kind) {
    case 'catalog': {
      return {quantFlag, ...catalogModelTarget(parsed, quantChoice, run)}
    }

    case 'hf-file': {
      return {quantFlag, ...hubFileTarget(parsed, run)}
    }

    case 'hf-quant':
    case 'hf-repo': {
      return {quantFlag, ...hubQuantTarget(parsed, quantChoice, run)}
    }

    case 'url': {
      return {quantFlag, ...urlTarget(parsed, run)}
    }
  }
}

/** `name` or `name:q8`: one tier of a catalog model, downloaded from its pinned hub revision. */
function catalogModelTarget(parsed: Extract<RemoteRef, {kind: 'catalog'}>, quantChoice: QuantChoice, run: PullRun): KindTarget {
  if (parsed.quant && quantChoice !== 'auto' && parsed.quant !== quantChoice) {
    throw new UsageError(`${run.options.ref} asks for ${parsed.quant} but --quant says ${quantChoice}`, {hint: 'Give the quantization once.'})
  }

  const choice = parsed.quant ?? quantChoice
  const chosenQuant = choice === 'auto' ? undefined : pickCatalogQuant(parsed.model, choice)
  const {model} = parsed
  const notDownloadable =
    model.userSupplied || !model.repo
      ? new ModelNotFoundError(`${model.id} is not installed, and it cannot be downloaded`, {hint: model.userSupplied?.note ?? `Import your copy: jsl-med pull ./FILE.gguf --as ${model.id}`}, 'E_NOT_DOWNLOADABLE')
      : undefined
  return {
    notDownloadable,
    // With auto, any installed tier will do: pulling a model twice never downloads a second tier.
    matches: (entry) => entry.catalogId === model.id && (chosenQuant === undefined ? entry.quant !== undefined : entry.quant === chosenQuant),
    async plan() {
      const quant = chosenQuant ?? (await autoQuant(model, run))
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
        id: run.options.as ?? `${model.id}:${quant}`,
        main: planned(variant),
        mmproj: model.mmproj ? planned(model.mmproj) : undefined,
        catalogId: model.id,
        quant,
        quantName: variant.quantName,
        source: {kind: 'catalog', ref: hfFileRef(repo, variant.file, model.revision), repo, revision: model.revision},
        license: model.license,
      }
    },
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
async function autoQuant(model: StoreCatalogModel, run: PullRun): Promise<Quant> {
  const available = QUANT_ORDER.filter((tier) => model.variants[tier])
  if (available.length === 0) throw new ModelNotFoundError(`${model.id} has no downloadable files in the catalog`, {hint: 'Report the catalog entry.'}, 'E_QUANT_NOT_AVAILABLE')
  const chosen = run.options.chooseQuant ? await run.options.chooseQuant(model, available) : undefined
  if (chosen && available.includes(chosen.quant)) {
    run.log('info', `--quant auto: ${chosen.quant} (${chosen.reason})`)
    return chosen.quant
  }

  run.log('info', `--quant auto: ${available[0]} (the smallest published)`)
  return available[0]
}

/** `hf:owner/repo/file.gguf`: one named file of a hub repo. */
function hubFileTarget(parsed: Extract<RemoteRef, {kind: 'hf-file'}>, run: PullRun): KindTarget {
  const ref = hfFileRef(parsed.repo, parsed.path, parsed.revision)
  return {
    matches: (entry) => entry.source.ref === ref,
    async plan(hub) {
      const info = await fetchHubModelInfo(hub, parsed.repo, parsed.revision)
      const quantName = quantNameOf(parsed.path)
      return {
        id: run.options.as ?? ref,
        main: {name: basename(parsed.path), file: `hf/${parsed.repo}/${parsed.path}`, hub: {repo: parsed.repo, revision: parsed.revision, path: parsed.path}, checksumSource: 'computed'},
        quant: quantClassOf(quantName),
        quantName,
        source: {kind: 'hf', ref, repo: parsed.repo, revision: parsed.revision},
        license: info?.license,
      }
    },
  }
}

/**
 * `hf:owner/repo:Q5_K_M` (an exact quant name), `hf:owner/repo:q8` (a tier) or `hf:owner/repo` (the `--quant`
 * tier, q4 for auto): the repo's file of that quantization, with its mmproj when there is one.
 */
function hubQuantTarget(parsed: Extract<RemoteRef, {kind: 'hf-quant' | 'hf-repo'}>, quantChoice: QuantChoice, run: PullRun): KindTarget {
  const exactQuantName = parsed.kind === 'hf-quant' && !quantTierOfTag(parsed.quantName) ? parsed.quantName : undefined
  const quantTier = exactQuantName ? undefined : parsed.kind === 'hf-quant' ? quantTierOfTag(parsed.quantName)! : quantChoice === 'auto' ? 'q4' : quantChoice
  const refKey = `hf:${parsed.repo}:${exactQuantName ?? quantTier}${parsed.revision === 'main' ? '' : `@${parsed.revision}`}`
  // Any installed file of the repo at that revision with the quantization asked for will do.
  const sameRepo = (entry: ManifestEntry): boolean => entry.source.kind === 'hf' && entry.source.repo === parsed.repo && entry.source.revision === parsed.revision
  return {
    matches: (entry) => entry.refs.includes(refKey) || entry.id === refKey || (sameRepo(entry) && (exactQuantName ? entry.quantName === exactQuantName : entry.quant === quantTier)),
    async plan(hub) {
      const tree = await withRetries(() => listHubTree(hub, parsed.repo, parsed.revision), `listing ${parsed.repo}`, run.retry)
      const chosen = pickTreeFile(tree, parsed.repo, exactQuantName, quantTier)
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
        id: run.options.as ?? ref,
        refKey,
        main: fromTree(chosen),
        mmproj: mmproj ? fromTree(mmproj) : undefined,
        quant: quantClassOf(quantName),
        quantName,
        source: {kind: 'hf', ref, repo: parsed.repo, revision: parsed.revision},
        license: info?.license,
      }
    },
  }
}

/** An http(s) URL of a GGUF file outside the hub. */
function urlTarget(parsed: Extract<RemoteRef, {kind: 'url'}>, run: PullRun): KindTarget {
  const ref = displayUrl(parsed.url)
  return {
    matches: (entry) => entry.source.ref === ref,
    async plan() {
      if (parsed.url.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(parsed.url.hostname)) {
        run.log('warn', `${ref} is plain http: the file can be altered in transit, and it has no published checksum to catch it`)
      }

      const name = decodeURIComponent(parsed.url.pathname.split('/').pop() || 'model.gguf')
      const quantName = quantNameOf(name)
      return {
        id: run.options.as ?? ref,
        main: {name, file: `url/${safePathSegment(parsed.url.host)}/${safePathSegment(name)}`, url: parsed.url, checksumSource: 'computed'},
        quant: quantClassOf(quantName),
        quantName,
        source: {kind: 'url', ref},
      }
    },
  }
}
