import {Flags} from '@oclif/core'

import {BaseCommand, generationFlags, indexFlags, modelFlags, runChatRepl} from '../lib/cli/index.js'
import {UsageError} from '../lib/errors/index.js'
import {createChatSession, DEFAULT_MIN_SIMILARITY, indexDirFor, openChatEngine, openRetriever, type Retriever} from '../lib/use-cases/index.js'

export default class Chat extends BaseCommand {
  static override summary = 'Talk with a model in the terminal, optionally grounded in an index.'

  static override description = `An interactive session: type a message, the answer streams as it is generated. The conversation is kept in memory for the next turns (the oldest turns are left out when it no longer fits the context); /reset forgets it, /exit or Ctrl-D leaves, Ctrl-C stops an answer (at the prompt: leaves).

With --index DIR each message retrieves the top-k chunks of the index (hybrid BM25 + vectors) and the model answers from them; the sources are listed under the answer. Retrieved passages are shown for their turn only, not kept in the history.

Nothing is written to disk: no history file, no log (the conversation may hold patient text). chat needs a terminal; for questions from a pipe or a file, use jsl-med ask.`

  static override examples = [
    {description: 'Chat with a model', command: '<%= config.bin %> <%= command.id %> -m model.gguf'},
    {description: 'Chat over an index of guidelines', command: '<%= config.bin %> <%= command.id %> -m model.gguf --index ./guidelines-index'},
  ]

  static override flags = {
    model: modelFlags.model,
    engine: modelFlags.engine,
    gpu: modelFlags.gpu,
    threads: modelFlags.threads,
    'context-size': modelFlags['context-size'],
    'max-tokens': generationFlags['max-tokens'],
    temperature: generationFlags.temperature,
    seed: generationFlags.seed,
    index: Flags.string({description: 'Ground each turn in the chunks retrieved from this index.', env: 'JSL_MED_INDEX', helpValue: 'DIR', helpGroup: 'EVIDENCE'}),
    'embed-model': indexFlags['embed-model'],
    'embed-engine': indexFlags['embed-engine'],
    'top-k': Flags.integer({char: 'k', description: 'Chunks retrieved per turn.', min: 1, max: 50, default: 5, helpValue: 'N', helpGroup: 'EVIDENCE'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Chat)
    const logger = this.useLogger(flags)
    if (!process.stdin.isTTY) {
      throw new UsageError('chat is interactive and stdin is not a terminal', {
        hint: 'For questions from a pipe or a file, use ask: jsl-med ask -m MODEL "question", or NDJSON {"id","question"} records on stdin.',
      }, 'E_NOT_A_TERMINAL')
    }

    const log = (level: 'debug' | 'error' | 'info' | 'warn', message: string): void => logger.log(level, message)
    const engine = await openChatEngine({engine: flags.engine, model: flags.model, gpu: flags.gpu, threads: flags.threads, contextSize: flags['context-size'], verbose: flags.verbose, log})
    let retriever: Retriever | undefined
    try {
      if (flags.index) {
        retriever = await openRetriever({
          indexDir: indexDirFor(flags.index),
          engine: flags['embed-engine'],
          embedModel: flags['embed-model'],
          gpu: flags.gpu,
          threads: flags.threads,
          topK: flags['top-k'],
          minSimilarity: DEFAULT_MIN_SIMILARITY,
          verbose: flags.verbose,
          log,
        })
      }

      const session = createChatSession({
        engine,
        maxTokens: flags['max-tokens'],
        temperature: flags.temperature,
        seed: flags.seed,
        retrieve: retriever && ((question) => retriever!.retrieve(question)),
      })
      await runChatRepl({session, input: process.stdin, output: process.stdout, logger})
    } finally {
      await retriever?.close()
      await engine.dispose()
    }
  }
}
