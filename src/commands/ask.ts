import {Args, Errors, Flags} from '@oclif/core'

import {BaseCommand, indexFlags, runTaskCommand, taskFlags} from '../lib/cli/index.js'
import {createAskTask, singleQuestionSource} from '../lib/tasks/index.js'
import {DEFAULT_MIN_SIMILARITY, indexDirFor, openRetriever, readContextDocuments, type Retriever} from '../lib/use-cases/index.js'

export default class Ask extends BaseCommand {
  static override summary = 'Answer clinical questions, with citations checked against their source.'

  static override description = `Answers a question (the argument) or a stream of NDJSON records with the question in "question" (--field): from the model alone, from --context FILE…, or from the top-k chunks retrieved from --index DIR (see jsl-med index add).

Each answer adds "answer", "citations": [{doc, chunk, start, end, quote}], "abstained" and "citations_dropped". The model cites a passage and copies a quote; jsl-med finds the quote in that chunk (ignoring differences of case and whitespace) and reports the chunk's own text with its offsets, so quote === chunkText.slice(start, end) always holds (JavaScript string indices into the chunk, whose own offsets in its document "index search" shows). A citation that is not found in the chunk it names is dropped and counted in "citations_dropped", never reported.

"abstained" is true, with "abstain_reason", when retrieval finds nothing relevant (no chunk matches a question term, and none is at least --min-similarity from it: the model is then not asked, and "answer" is empty) or when the model says the evidence is insufficient.

The record contract of the task commands holds: one output line per input line, in order, input fields kept, failures as error records (exit 9), -j, --resume and --audit.`

  static override examples = [
    {description: 'Ask the model alone', command: '<%= config.bin %> <%= command.id %> -m model.gguf "What is the first-line treatment of type 2 diabetes?"'},
    {description: 'Answer from a guideline', command: '<%= config.bin %> <%= command.id %> -m model.gguf --context ada-standards.pdf "What HbA1c target is advised?"'},
    {description: 'Answer a stream of questions from an index', command: 'cat questions.ndjson | <%= config.bin %> <%= command.id %> -m model.gguf --index ./pubmed-index -k 5 > answers.ndjson'},
  ]

  static override args = {
    question: Args.string({description: 'The question; without it, records are read from --input or stdin.', required: false, ignoreStdin: true}),
  }

  static override flags = {
    ...taskFlags,
    field: Flags.string({helpValue: 'NAME', description: 'Input field holding the question.', default: 'question', helpGroup: 'INPUT/OUTPUT'}),
    context: Flags.string({description: 'Answer from these files (text, Markdown, HTML, PDF, NDJSON), as many chunks as fit.', multiple: true, helpValue: 'FILE', exclusive: ['index'], helpGroup: 'EVIDENCE'}),
    index: Flags.string({description: 'Answer from the chunks retrieved from this index (see jsl-med index add).', env: 'JSL_MED_INDEX', helpValue: 'DIR', helpGroup: 'EVIDENCE'}),
    'embed-model': indexFlags['embed-model'],
    'embed-engine': indexFlags['embed-engine'],
    'top-k': Flags.integer({char: 'k', description: 'Chunks retrieved per question.', min: 1, max: 50, default: 5, helpValue: 'N', helpGroup: 'EVIDENCE'}),
    'min-similarity': Flags.custom<number>({
      async parse(input) {
        const value = Number(input)
        if (!Number.isFinite(value) || value < -1 || value > 1) throw new Errors.CLIError(`Expected a cosine similarity from -1 to 1 but received: ${input}`)
        return value
      },
    })({
      description: 'Cosine similarity from which a retrieved chunk with no question term counts as relevant.',
      default: DEFAULT_MIN_SIMILARITY,
      helpValue: 'S',
      helpGroup: 'EVIDENCE',
    }),
    mode: Flags.option({options: ['hybrid', 'bm25', 'vector'] as const, default: 'hybrid' as const, description: 'Retrieval legs.', helpGroup: 'EVIDENCE'})(),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Ask)
    const logger = this.useLogger(flags)
    const context = flags.context ? await readContextDocuments(flags.context) : undefined
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
          mode: flags.mode,
          minSimilarity: flags['min-similarity'],
          verbose: flags.verbose,
          log: (level, message) => logger.log(level, message),
        })
      }

      const task = createAskTask({context, retrieve: retriever && ((question) => retriever!.retrieve(question))})
      const source = args.question === undefined ? undefined : singleQuestionSource(args.question, flags.field)
      await runTaskCommand(task, flags, logger, {openSource: source && (async () => source)})
    } finally {
      await retriever?.close()
    }
  }
}
