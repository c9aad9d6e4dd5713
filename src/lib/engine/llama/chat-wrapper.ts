import {createHash} from 'node:crypto'
import {mkdir, readFile, rename, writeFile} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import type {ChatHistoryItem, ChatWrapper, LlamaModel} from 'node-llama-cpp'

import {resolveDirs} from '../../paths/index.js'

type NodeLlamaCpp = typeof import('node-llama-cpp')
type WrapperClass = new (settings?: object) => ChatWrapper
type OptionConfiguration = object | [object | undefined, object | undefined, object?]

/** Entries kept; the oldest go first. */
const MAX_ENTRIES = 200

/** How a model's wrapper was resolved: node-llama-cpp's type name and, for a specialized one, which of its settings. */
interface Resolution {
  type: string
  /** Index into the class's `_getOptionConfigurationsToTestIfCanSupersedeJinjaTemplate()`; absent: no settings. */
  configuration?: number
  at: string
}

interface ResolutionCache {
  version: 1
  entries: Record<string, Resolution>
}

/** A short conversation both wrappers render, to tell whether a rebuilt wrapper is the one resolved. */
const PROBE_HISTORY: ChatHistoryItem[] = [
  {type: 'system', text: 'You are a careful assistant.'},
  {type: 'user', text: 'Summarize: the patient is stable.'},
  {type: 'model', response: ['Stable.']},
  {type: 'user', text: 'And the plan?'},
  {type: 'model', response: []},
]

/**
 * The chat wrapper node-llama-cpp's `resolveChatWrapper(model)` gives, remembered per model (its template, tokenizer
 * and file name) in `<cache dir>/chat-wrappers.json`. Resolving renders the model's Jinja template against every
 * specialized wrapper to find an equivalent one, which takes 0.5–1 s at every model load; a remembered answer is
 * rebuilt in milliseconds, and kept only when it renders a probe conversation exactly like the resolved wrapper.
 * A cache that cannot be read or written only costs the full resolution.
 */
export async function resolveChatWrapperCached(nlc: NodeLlamaCpp, model: LlamaModel, modelPath: string, options: {cachePath?: string} = {}): Promise<ChatWrapper> {
  const cachePath = options.cachePath ?? join(resolveDirs().cacheDir, 'chat-wrappers.json')
  const key = await modelKey(nlc, model, modelPath).catch(() => undefined)
  const cache = await readCache(cachePath)
  const known = key ? cache.entries[key] : undefined
  const rebuilt = known ? rebuild(nlc, model, known) : undefined
  if (rebuilt) return rebuilt

  const resolved = nlc.resolveChatWrapper(model)
  const resolution = key ? describe(nlc, resolved) : undefined
  if (key && resolution) {
    cache.entries[key] = resolution
    await writeCache(cachePath, cache).catch(() => {})
  }

  return resolved
}

/**
 * What resolveChatWrapper looks at: the template, the tokenizer (vocabulary and token types, special tokens), the
 * architecture and the file name (it orders the candidates), and node-llama-cpp's version. So a model written again
 * with the same tokenizer (README's try command) finds its answer too.
 */
async function modelKey(nlc: NodeLlamaCpp, model: LlamaModel, modelPath: string): Promise<string> {
  const metadata = model.fileInfo.metadata as unknown as {general?: {architecture?: string}; tokenizer?: {chat_template?: string; ggml?: {model?: string; pre?: string; tokens?: unknown; token_type?: unknown}}}
  const {chat_template: template, ggml = {}} = metadata.tokenizer ?? {}
  return createHash('sha256')
    .update(JSON.stringify([await nlc.getModuleVersion(), basename(modelPath), metadata.general?.architecture, template ?? null, ggml.model, ggml.pre, model.tokens.bosString, model.tokens.eosString]))
    .update(JSON.stringify(ggml.tokens ?? null))
    .update(JSON.stringify(ggml.token_type ?? null))
    .digest('hex')
    .slice(0, 32)
}

/** The wrapper a remembered resolution names, or undefined when it no longer applies. */
function rebuild(nlc: NodeLlamaCpp, model: LlamaModel, resolution: Resolution): ChatWrapper | undefined {
  try {
    if (resolution.type === 'jinjaTemplate') return nlc.resolveChatWrapper(model, {type: 'jinjaTemplate'})
    const Wrapper = wrapperClass(nlc, resolution.type)
    if (!Wrapper) return undefined
    if (resolution.configuration === undefined) return new Wrapper()
    const settings = applySettingsOf(Wrapper)[resolution.configuration]
    return settings ? new Wrapper(settings) : undefined
  } catch {
    return undefined
  }
}

/** How to rebuild `resolved`, or undefined when no settings of its class render exactly like it. */
function describe(nlc: NodeLlamaCpp, resolved: ChatWrapper): Resolution | undefined {
  const entry = Object.entries(nlc.chatWrappers).find(([, Wrapper]) => resolved.constructor === Wrapper)
  if (!entry) return undefined
  const [type, Wrapper] = entry as [string, WrapperClass]
  const at = new Date().toISOString()
  if (type === 'jinjaTemplate') return {type, at}
  if (type === 'template') return undefined
  try {
    const expected = fingerprint(resolved)
    if (fingerprint(new Wrapper()) === expected) return {type, at}
    const configuration = applySettingsOf(Wrapper).findIndex((settings) => fingerprint(new Wrapper(settings)) === expected)
    return configuration >= 0 ? {type, configuration, at} : undefined
  } catch {
    return undefined
  }
}

/** The settings resolveChatWrapper applies for each option configuration it tests (a pair's second item). */
function applySettingsOf(Wrapper: WrapperClass): object[] {
  const configurations = (Wrapper as unknown as {_getOptionConfigurationsToTestIfCanSupersedeJinjaTemplate?: () => OptionConfiguration[]})._getOptionConfigurationsToTestIfCanSupersedeJinjaTemplate?.() ?? []
  return configurations.map((configuration) => (Array.isArray(configuration) ? (configuration[1] ?? {}) : configuration))
}

function wrapperClass(nlc: NodeLlamaCpp, type: string): WrapperClass | undefined {
  return Object.hasOwn(nlc.chatWrappers, type) ? (nlc.chatWrappers as unknown as Record<string, WrapperClass>)[type] : undefined
}

function fingerprint(wrapper: ChatWrapper): string {
  const {contextText, stopGenerationTriggers} = wrapper.generateContextState({chatHistory: PROBE_HISTORY})
  return JSON.stringify([wrapper.wrapperName, wrapper.settings, contextText.toJSON(), stopGenerationTriggers.map((trigger) => trigger.toJSON())])
}

async function readCache(path: string): Promise<ResolutionCache> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as ResolutionCache
    if (parsed?.version === 1 && parsed.entries && typeof parsed.entries === 'object') return parsed
  } catch {
    // Missing or unreadable: resolve in full.
  }

  return {version: 1, entries: {}}
}

async function writeCache(path: string, cache: ResolutionCache): Promise<void> {
  const entries = Object.entries(cache.entries).sort(([, a], [, b]) => a.at.localeCompare(b.at)).slice(-MAX_ENTRIES)
  await mkdir(dirname(path), {recursive: true})
  const temporary = `${path}.${process.pid}.tmp`
  await writeFile(temporary, JSON.stringify({version: 1, entries: Object.fromEntries(entries)}) + '\n')
  await rename(temporary, path)
}
