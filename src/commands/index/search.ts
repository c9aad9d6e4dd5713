import {Args, Flags} from '@oclif/core'

import {BaseCommand, indexFlags, renderSearchHits, runtimeFlags} from '../../lib/cli/index.js'
import type {SearchHit} from '../../lib/retrieval/index.js'
import {indexDirFor, searchIndexDir} from '../../lib/use-cases/index.js'

export default class IndexSearch extends BaseCommand {
  static override summary = 'Search the retrieval index: BM25, vectors, or both fused.'

  static override description = `Hybrid by default: the chunks whose text best matches the query's terms (BM25, LanceDB's full-text index with English stemming) and the chunks whose embedding is nearest the query's (cosine), fused by reciprocal rank (score = Σ 1/(60 + rank)). Each hit has its document id, chunk number, character offsets in the document (text === document.slice(start, end)), and each leg's rank.`

  static override examples = [
    {description: 'The 5 best chunks', command: '<%= config.bin %> <%= command.id %> "warfarin interaction with amiodarone" -k 5'},
    {description: 'The lexical leg alone, as JSON', command: '<%= config.bin %> <%= command.id %> "INR monitoring" --mode bm25 --json'},
  ]

  static override enableJsonFlag = true

  static override args = {
    query: Args.string({description: 'What to look for.', required: true, ignoreStdin: true}),
  }

  static override flags = {
    ...indexFlags,
    ...runtimeFlags,
    limit: Flags.integer({char: 'k', description: 'Chunks to return.', min: 1, default: 10, helpValue: 'N', helpGroup: 'SEARCH'}),
    mode: Flags.option({options: ['hybrid', 'bm25', 'vector'] as const, default: 'hybrid' as const, description: 'Retrieval legs.', helpGroup: 'SEARCH'})(),
  }

  async run(): Promise<{hits: SearchHit[]; durationMs: number}> {
    const {args, flags} = await this.parse(IndexSearch)
    const logger = this.useLogger(flags)
    const result = await searchIndexDir({
      indexDir: indexDirFor(flags.index),
      query: args.query,
      limit: flags.limit,
      mode: flags.mode,
      engine: flags['embed-engine'],
      embedModel: flags['embed-model'],
      gpu: flags.gpu,
      threads: flags.threads,
      verbose: flags.verbose,
      log: (level, message) => logger.log(level, message),
    })
    logger.debug(`search: ${result.durationMs.toFixed(1)} ms`)
    if (!this.jsonEnabled()) this.log(renderSearchHits(result.hits, Math.max(20, (process.stdout.columns ?? 120) - 70)))
    return result
  }
}
