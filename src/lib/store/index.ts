// The model store: downloads (resume, sha256 verification, lock, atomic install), imports, the manifest of
// installed models, and the resolution of `--model`. It never renders: progress and diagnostics go to callbacks.
export {sha256File} from './hash.js'
export {DEFAULT_HF_ENDPOINT, hfEndpoint, readHfToken} from './remote/hub.js'
export {listInstalledModels, removeModels, resolveModel, resolveModelPath} from './installed.js'
export type {ResolvedModel} from './installed.js'
export {MANIFEST_FILE, readManifest, writeManifest} from './manifest.js'
export {builtInCatalog, pullModel} from './pull/index.js'
export {parseModelRef} from './refs.js'
export type {ParsedRef} from './refs.js'
export {quantClassOf, quantNameOf} from './quant.js'
export type * from './types.js'
