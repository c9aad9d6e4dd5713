import {dirname} from 'node:path'

import {ModelNotFoundError, UsageError} from '../../errors/index.js'
import {isMmprojFile, isSplitPart, PREFERRED_QUANT_NAMES, quantBits, quantClassOf, quantNameOf} from '../quant.js'
import type {TreeEntry} from '../remote/hub.js'
import type {Quant} from '../types.js'

/** `q4`/`q8`/`q16` as an `hf:repo:TAG` tag means a tier, anything else an exact quant name. */
export function quantTierOfTag(tag: string): Quant | undefined {
  const lower = tag.toLowerCase()
  return lower === 'q4' || lower === 'q8' || lower === 'q16' ? lower : undefined
}

/**
 * The model file of a hub repo for an exact quant name (`Q5_K_M`), else for a tier (the tier's preferred names
 * first). Throws ModelNotFoundError when there is none, and UsageError for a split GGUF.
 */
export function pickTreeFile(tree: TreeEntry[], repo: string, quantName: string | undefined, quantClass: Quant | undefined): TreeEntry {
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

  if (matches.length === 0) throw quantNotFound(models, repo, quantName ?? quantClass!)

  const chosen = matches[0]
  if (isSplitPart(chosen.path)) {
    throw new UsageError(`${chosen.path} is one part of a split GGUF, which jsl-med cannot install yet`, {hint: 'Pick a smaller quantization that ships as one file.'}, 'E_SPLIT_GGUF')
  }

  return chosen
}

/**
 * No file of that quantization: the hint names the quantizations the repo has, else (file names that name none)
 * the files themselves, to pull by path; only a repo without any model file is said to have none.
 */
function quantNotFound(models: TreeEntry[], repo: string, wanted: string): ModelNotFoundError {
  const available = [...new Set(models.map((entry) => quantNameOf(entry.path)).filter(Boolean))]
  const unnamed = models.filter((entry) => !quantNameOf(entry.path)).map((entry) => entry.path)
  const hints: string[] = []
  if (available.length > 0) hints.push(`Quantizations in the repo: ${available.join(', ')}; e.g. hf:${repo}:${available[0]}.`)
  if (unnamed.length > 0) {
    const shown = unnamed.slice(0, 5).join(', ') + (unnamed.length > 5 ? `, and ${unnamed.length - 5} more` : '')
    hints.push(`Files whose names give no quantization: ${shown}; pull one by path, e.g. hf:${repo}/${unnamed[0]}.`)
  }

  return new ModelNotFoundError(`${repo} has no ${wanted} GGUF file`, {
    hint: hints.length > 0 ? hints.join(' ') : `The repo has no .gguf model files (projectors aside); see ${repo} on the hub.`,
  }, 'E_QUANT_NOT_FOUND')
}

/** llama.cpp's choice of projector: a `*mmproj*.gguf` in the model's directory, with the closest bits per weight. */
export function pickMmproj(tree: TreeEntry[], modelPath: string): TreeEntry | undefined {
  const dir = dirname(modelPath)
  const bits = quantBits(quantNameOf(modelPath) ?? '') ?? 16
  return tree
    .filter((entry) => entry.type === 'file' && /\.gguf$/i.test(entry.path) && isMmprojFile(entry.path) && dirname(entry.path) === dir)
    .map((entry) => ({entry, distance: Math.abs((quantBits(quantNameOf(entry.path) ?? '') ?? 16) - bits)}))
    .sort((a, b) => a.distance - b.distance || a.entry.path.localeCompare(b.entry.path))[0]?.entry
}
