import {Flags} from '@oclif/core'

import {BaseCommand, examplesFlags, runTaskCommand, taskArgs, taskFlags} from '../lib/cli/index.js'
import {readExamples, soapTask} from '../lib/tasks/index.js'

export default class Soap extends BaseCommand {
  static override summary = 'Turn a dialogue, transcript or note into a SOAP note with cited evidence.'

  static override description = `Reads a plain-text dialogue, transcript or note, or NDJSON records with it in "text", and adds "soap": {subjective, objective, assessment, plan, review_required}.

The four sections are always there (a JSON-schema grammar constrains the model), each a list of {statement, evidence, start, end, unsupported}. Every statement cites a sentence of the source; jsl-med looks the citation up in the source (ignoring differences of case and whitespace) and reports the source's exact sentence, with evidence === source.slice(start, end) (UTF-16 code units). A citation that is not in the source is kept as the model wrote it, with start and end null and "unsupported": true. "review_required" is true when any statement is unsupported or the model stopped at --max-tokens (then "truncated": true too).

Input: FILE arguments, read in order, or stdin (- or --input); each is NDJSON or one text document by its content (a text file's id is its path).

Output is NDJSON for NDJSON input or several files, and for plain text when stdout is not a terminal; a clean SOAP note on a terminal; --format chooses. A text longer than the context is cut on section and paragraph boundaries and the sections are joined.`

  static override examples = [
    {description: 'A SOAP note of one visit transcript', command: '<%= config.bin %> <%= command.id %> -m model.gguf visit.txt'},
    {description: 'SOAP notes of many transcripts, one record each with the file name as id', command: '<%= config.bin %> <%= command.id %> -m model.gguf visits/*.txt > soap.ndjson'},
    {description: 'SOAP notes of a stream of records, after ner', command: 'cat visits.ndjson | <%= config.bin %> ner -m model.gguf | <%= config.bin %> <%= command.id %> -m model.gguf > out.ndjson'},
    {description: 'Records whose statements need a look', command: '<%= config.bin %> <%= command.id %> -m model.gguf -i visits.ndjson | jq -c \'select(.soap.review_required)\''},
  ]

  static override args = taskArgs

  static override flags = {
    ...taskFlags,
    ...examplesFlags,
    // A structured answer about a whole note is longer than a summary.
    'max-tokens': Flags.integer({helpValue: 'N', description: 'Maximum tokens generated per model call.', min: 1, default: 1024, helpGroup: 'GENERATION'}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Soap)
    const examples = flags.examples ? await readExamples(flags.examples, soapTask) : undefined
    await runTaskCommand(soapTask, flags, this.useLogger(flags), {files: argv as string[], examples})
  }
}
