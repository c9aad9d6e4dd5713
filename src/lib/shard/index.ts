// Cutting one input into line-aligned shards (`--shard I/N`) and merging the shards' outputs back into input order,
// with every record checked to be there exactly once: the two ends of a Slurm job array or a multi-host GNU parallel run.
export {assertMergeComplete, describeKey, duplicateKeys, mergeShardOutputs} from './merge.js'
export type {MergeOptions, MergeResult, ShardOutput} from './merge.js'
export {inShard, parseShard, selectShard} from './select.js'
export type {ShardSpec} from './select.js'
