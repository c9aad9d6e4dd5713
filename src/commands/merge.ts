import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../lib/cli/index.js'
import {mergeShardFiles} from '../lib/use-cases/index.js'

export default class Merge extends BaseCommand {
  static override summary = 'Merge the outputs of shards into one NDJSON, in input order, checking every id is there once.'

  static override description = `Reads the output files of the shards of one input (the tasks of a Slurm job array, or of GNU parallel across hosts, each run with --shard I/N -o SHARD --resume SHARD) and writes one line per input record, in the order of --input, the original input.

Every record of the input must have exactly one line in the shards, found by its id (--id-field) or, for a record without one, its line number. A missing, duplicated or unknown id, or a line that is not a record (a torn last line), fails the merge with exit 8 and a message naming them, and nothing is written: re-run the shards that lack records with the same command (--resume completes a shard without duplicating it), then merge again. Error records (records that failed in their shard) are merged like any other line and counted on stderr.

Without --input the lines keep the order of the shard files as given, and only duplicates are found: right for contiguous splits (split -l) listed in order.

The shards are held in memory while they are checked (about their size on disk), so that a failed check writes nothing.`

  static override examples = [
    {description: 'Merge the four shards of a job array back into the order of notes.ndjson', command: '<%= config.bin %> <%= command.id %> --input notes.ndjson out/shard-*.ndjson -o notes-ner.ndjson'},
    {description: 'Merge contiguous splits, in the order given, checking only for duplicates', command: '<%= config.bin %> <%= command.id %> out/part-000.ndjson out/part-001.ndjson > all.ndjson'},
  ]

  static override strict = false

  static override args = {
    shards: Args.string({description: 'Shard output files (NDJSON), one or more.', required: true, ignoreStdin: true}),
  }

  static override flags = {
    input: Flags.string({char: 'i', description: 'The original input: the order to write, and the ids that must each have one line. [default: shard order, duplicates checked only]', helpValue: 'FILE'}),
    output: Flags.string({char: 'o', description: 'Output file, - for stdout; written only when the check passes.', default: '-', helpValue: 'FILE'}),
    'id-field': Flags.string({helpValue: 'NAME', description: 'Field holding the record id.', default: 'id'}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Merge)
    const logger = this.useLogger(flags)
    const result = await mergeShardFiles({shards: argv as string[], inputPaths: flags.input === undefined ? undefined : [flags.input], idField: flags['id-field'], outputPath: flags.output})
    logger.info(`merge: ${result.records} records from ${result.shards} shards${result.failed > 0 ? `, ${result.failed} of them error records` : ''}`)
  }
}
