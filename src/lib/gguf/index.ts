// GGUF files: validates a model file's header before llama.cpp sees it, and synthesizes llama-architecture GGUF v3
// models with seeded random weights, for tests and benchmarks without downloads.
export {countParameters, parseShape, SHAPES, synthesizeModel} from './synthesize.js'
export type {ModelShape, Pooling, SynthesizeOptions, SynthesizeResult} from './synthesize.js'
export type {TensorType} from './quantize.js'
export {GgufHeaderError, readGgufHeader, readGgufQuantName} from './read-header.js'
export type {GgufHeader, GgufTensorInfo} from './read-header.js'
export {directoryModelError, validateGgufFile} from './validate.js'
export {PROJECTOR_SHAPES, synthesizeProjector, validateProjectorShape} from './mmproj.js'
export type {ProjectorShape, SynthesizeProjectorOptions, SynthesizeProjectorResult} from './mmproj.js'
export {DEFAULT_LORA_TARGETS, synthesizeLora} from './lora.js'
export type {SynthesizeLoraOptions, SynthesizeLoraResult} from './lora.js'
