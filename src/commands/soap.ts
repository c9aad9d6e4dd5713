import {Flags} from '@oclif/core'

import {BaseCommand, runTaskCommand, taskFlags} from '../lib/cli/index.js'
import {soapTask} from '../lib/tasks/index.js'

export default class Soap extends BaseCommand {
  static override summary = 'Turn a dialogue, transcript or note into a SOAP note with cited evidence.'

  static override description = `Reads a plain-text dialogue, transcript or note, or NDJSON records with it in "text", and adds "soap": {subjective, objective, assessment, plan, review_required}.

The four sections are always there (a JSON-schema grammar constrains the model), each a list of {statement, evidence, start, end, unsupported}. Every statement cites a sentence of the source; jsl-med looks the citation up in the source (ignoring differences of case and whitespace) and reports the source's exact sentence, with evidence === source.slice(start, end) (UTF-16 code units). A citation that is not in the source is kept as the model wrote it, with start and end null and "unsupported": true. "review_required" is true when any statement is unsupported or the model stopped at --max-tokens (then "truncated": true too).

Output is NDJSON for NDJSON input, and for plain text when stdout is not a terminal; a clean SOAP note on a terminal; --format chooses. A text longer than the context is cut on section and paragraph boundaries and the sections are joined.`

  static override examples = [
    {description: 'A SOAP note of one visit transcript', command: '<%= config.bin %> <%= command.id %> -m model.gguf < visit.txt'},
    {description: 'SOAP notes of a stream of records, after ner', command: 'cat visits.ndjson | <%= config.bin %> ner -m model.gguf | <%= config.bin %> <%= command.id %> -m model.gguf > out.ndjson'},
    {description: 'Records whose statements need a look', command: '<%= config.bin %> <%= command.id %> -m model.gguf -i visits.ndjson | jq -c \'select(.soap.review_required)\''},
  ]

  static override flags = {
    ...taskFlags,
    // A structured answer about a whole note is longer than a summary.
    'max-tokens': Flags.integer({helpValue: 'N', description: 'Maximum tokens generated per model call.', min: 1, default: 1024, helpGroup: 'GENERATION'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Soap)
    await runTaskCommand(soapTask, flags, this.useLogger(flags))
  }
}
