// Use cases: what a command asks for, composed from the core modules. Each takes camelCase options, returns a typed
// result and reports progress through callbacks; none renders or reads flags (that is cli/).
export {adviseMachine, quantTierOf} from './advise-machine.js'
export type {AdviseMachineOptions, HwResult, ModelAdvice} from './advise-machine.js'
export {adviseQuant} from './choose-quant.js'
export {compareBenchFiles, prepareBench} from './prepare-bench.js'
export type {PrepareBenchOptions, PreparedBench} from './prepare-bench.js'
export {findProjectorNextTo, resolveProjector} from './resolve-projector.js'
export {runBench} from './run-bench.js'
export type {RunBenchOptions} from './run-bench.js'
export {runTaskOverRecords} from './run-task.js'
export type {RunTaskOptions, TaskProgress, TaskProgressEvent} from './run-task.js'
export {projectorPathFor, synthesizeTryModel} from './synthesize-model.js'
export type {SynthesizeTryModelOptions, SynthesizeTryModelResult} from './synthesize-model.js'
