import {Args, Flags} from '@oclif/core'

import {BaseCommand, createStepProgress, indexFlags, renderAddSummary, runtimeFlags, trapInterrupt} from '../../lib/cli/index.js'
import {addToIndex, DEFAULT_CHUNK_TOKENS, indexDirFor, type AddToIndexResult} from '../../lib/use-cases/index.js'

export default class IndexAdd extends BaseCommand {
  static override summary = 'Add documents to the retrieval index (only new and changed ones are indexed).'

  static override description = `Reads text, Markdown, HTML, PDF (its text layer) and NDJSON files (one document per record: "id" and "text", see --field and --id-field), and directories of them, cuts each document into chunks of at most --chunk-tokens tokens of the embedding model (on section and paragraph boundaries, then lines, sentences, words), embeds each chunk with a GGUF embedding model, and stores text, offsets and vectors in a LanceDB database under --index, with a BM25 full-text index on the text.

A document's id is its path as given (joined under a directory), or the record's id. Each document's content hash is kept: a document whose content is unchanged is skipped without being read again, a changed one replaces its chunks. Documents that are gone from the files stay until "index rm".

The first add fixes the embedding model (--embed-model) and the chunk size; later adds and searches use the same model unless --embed-model is given again.`

  static override examples = [
    {description: 'Index a folder of guidelines with an embedding model', command: '<%= config.bin %> <%= command.id %> guidelines/ --embed-model nomic-embed-text-v1.5.Q8_0.gguf'},
    {description: 'Index NDJSON records into a chosen index', command: '<%= config.bin %> <%= command.id %> abstracts.ndjson --index ./pubmed-index'},
    {description: 'Run again after editing one file: only that file is indexed again', command: '<%= config.bin %> <%= command.id %> guidelines/'},
  ]

  static override enableJsonFlag = true

  static override strict = false

  static override args = {
    paths: Args.string({description: 'Files or directories to index.', required: true, ignoreStdin: true}),
  }

  static override flags = {
    ...indexFlags,
    ...runtimeFlags,
    'chunk-tokens': Flags.integer({description: 'Most tokens per chunk, for a new index.', min: 16, default: DEFAULT_CHUNK_TOKENS, helpValue: 'N', helpGroup: 'INDEX'}),
    field: Flags.string({helpValue: 'NAME', description: 'NDJSON field holding the text.', default: 'text', helpGroup: 'INPUT'}),
    'id-field': Flags.string({helpValue: 'NAME', description: 'NDJSON field holding the document id.', default: 'id', helpGroup: 'INPUT'}),
  }

  async run(): Promise<AddToIndexResult> {
    const {argv, flags} = await this.parse(IndexAdd)
    const logger = this.useLogger(flags)
    const interrupt = trapInterrupt()
    const progress = createStepProgress('index add', {quiet: flags.quiet || this.jsonEnabled()})
    try {
      const result = await addToIndex({
        indexDir: indexDirFor(flags.index),
        paths: argv as string[],
        engine: flags['embed-engine'],
        embedModel: flags['embed-model'],
        gpu: flags.gpu,
        threads: flags.threads,
        chunkTokens: flags['chunk-tokens'],
        field: flags.field,
        idField: flags['id-field'],
        verbose: flags.verbose,
        log: (level, message) => logger.log(level, message),
        signal: interrupt.signal,
        onProgress: (p) => progress.step(`${p.documents} documents (${p.added} added, ${p.updated} updated, ${p.unchanged} unchanged), ${p.chunks} chunks`),
      })
      progress.stop()
      if (!this.jsonEnabled()) this.log(renderAddSummary(result))
      return result
    } finally {
      progress.stop()
      interrupt.release()
    }
  }
}
