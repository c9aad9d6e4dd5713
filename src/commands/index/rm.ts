import {Args} from '@oclif/core'

import {BaseCommand, indexFlags} from '../../lib/cli/index.js'
import {InputError} from '../../lib/errors/index.js'
import {indexDirFor, removeFromIndex} from '../../lib/use-cases/index.js'

export default class IndexRm extends BaseCommand {
  static override summary = 'Remove documents and their chunks from the retrieval index.'

  static override description = 'Documents are named by the ids `index ls` shows (a file\'s path as it was added, or an NDJSON record\'s id). An id the index does not hold removes nothing and exits 8.'

  static override aliases = ['index:remove']

  static override examples = [
    {description: 'Remove one file', command: '<%= config.bin %> <%= command.id %> guidelines/old-protocol.pdf'},
    {description: 'Remove records of another index', command: '<%= config.bin %> <%= command.id %> 12345 67890 --index ./pubmed-index'},
  ]

  static override enableJsonFlag = true

  static override strict = false

  static override args = {
    docs: Args.string({description: 'Document ids (one or more).', required: true, ignoreStdin: true}),
  }

  static override flags = {index: indexFlags.index}

  async run(): Promise<{removed: string[]}> {
    const {argv, flags} = await this.parse(IndexRm)
    this.useLogger(flags)
    const {removed, missing} = await removeFromIndex(indexDirFor(flags.index), argv as string[])
    if (!this.jsonEnabled()) for (const doc of removed) this.log(`removed ${doc}`)
    if (missing.length > 0) throw new InputError(`the index holds no document ${missing.join(', ')}`, {hint: 'See the ids with: jsl-med index ls'}, 'E_NO_DOCUMENT')
    return {removed}
  }
}
