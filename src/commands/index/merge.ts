import {Args} from '@oclif/core'

import {BaseCommand, indexFlags} from '../../lib/cli/index.js'
import {indexDirFor, mergeIndexes, type MergeIndexesResult} from '../../lib/use-cases/index.js'

export default class IndexMerge extends BaseCommand {
  static override summary = 'Merge shard indexes, built by separate index add runs, into one.'

  static override description = `Copies every document of the shard indexes (with its chunks, offsets and vectors: nothing is embedded again) into --index, skipping documents the target holds already with the same content hash. The shards must have been built with the same embedding model. This is how many workers build one index: each runs "index add" on its share of the files into its own directory, then one "index merge" combines them.`

  static override examples = [
    {description: 'Four workers built shard-0 … shard-3; merge them', command: '<%= config.bin %> <%= command.id %> shard-0 shard-1 shard-2 shard-3 --index ./index'},
  ]

  static override enableJsonFlag = true

  static override strict = false

  static override args = {
    shards: Args.string({description: 'Shard index directories (one or more).', required: true, ignoreStdin: true}),
  }

  static override flags = {index: indexFlags.index}

  async run(): Promise<MergeIndexesResult> {
    const {argv, flags} = await this.parse(IndexMerge)
    this.useLogger(flags)
    const result = await mergeIndexes(indexDirFor(flags.index), argv as string[])
    if (!this.jsonEnabled()) this.log(`${result.copied} documents copied, ${result.unchanged} unchanged; ${result.totalChunks} chunks in ${result.indexDir}`)
    return result
  }
}
