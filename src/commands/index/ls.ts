import {BaseCommand, indexFlags, renderIndexListing} from '../../lib/cli/index.js'
import {indexDirFor, listIndex, type IndexListing} from '../../lib/use-cases/index.js'

export default class IndexLs extends BaseCommand {
  static override summary = 'List the documents of the retrieval index.'

  static override description = 'One row per document: its id, chunks, characters, when it was indexed and the start of its content hash; the first line names the index, its chunk count and its embedding model.'

  static override aliases = ['index:list']

  static override examples = [
    {description: 'The default index', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Another index, as JSON', command: '<%= config.bin %> <%= command.id %> --index ./pubmed-index --json'},
  ]

  static override enableJsonFlag = true

  static override flags = {index: indexFlags.index}

  async run(): Promise<IndexListing> {
    const {flags} = await this.parse(IndexLs)
    this.useLogger(flags)
    const listing = await listIndex(indexDirFor(flags.index))
    if (!this.jsonEnabled()) this.log(renderIndexListing(listing))
    return listing
  }
}
