import {Flags} from '@oclif/core'

import {BaseCommand, examplesFlags, runTaskCommand, taskArgs, taskFlags} from '../lib/cli/index.js'
import {CODE_SYSTEMS, loadIcd10cmTable} from '../lib/codes/index.js'
import {createNerTask, DEFAULT_NER_LABELS, parseLabels, readExamples} from '../lib/tasks/index.js'

export default class Ner extends BaseCommand {
  static override summary = 'Find clinical entities, with exact offsets and assertions.'

  static override description = `Reads a plain-text note, or NDJSON records with the text in "text", and adds "entities": [{text, label, start, end, assertion}] and "dropped".

The model proposes mentions copied from the text; jsl-med finds each one in the source (ignoring differences of case and whitespace, repeated mentions in order) and reports the source's exact text and offsets, so text === source.slice(start, end) always holds (offsets are JavaScript string indices: UTF-16 code units). Proposals that are not in the source are left out and counted in "dropped". When the model stops at --max-tokens the record also has "entities_truncated": true.

Labels default to ${DEFAULT_NER_LABELS.join(', ')}; --labels sets your own. Assertion is one of present, absent, possible, hypothetical, historical, family.

--link icd10cm asks for an ICD-10-CM code per entity and checks it against --codes FILE (the CMS order file icd10cm_order_<year>.txt: one code a line, fixed width — order number, code without dot, 1 for a billable code or 0 for a header, short description, long description; or the codes file icd10cm_codes_<year>.txt: code, spaces, description; codes with or without dots; plain text or gzipped, not the CMS .zip): "code": {system, value, status, description?}, where status is linked (in your table), unverified (well formed, but the table lacks it, or no table was given) or rejected (malformed, or an unknown category). A code that is not in your table is never linked.

Input: FILE arguments, read in order, or stdin (- or --input); each is NDJSON or one text document by its content (a text file's id is its path).

Output is NDJSON for NDJSON input or several files, and for plain text when stdout is not a terminal (so that it pipes into soap); a readable entity list on a terminal; --format chooses.`

  static override examples = [
    {description: 'Entities of one note, as a readable list', command: '<%= config.bin %> <%= command.id %> -m model.gguf note.txt'},
    {description: 'Entities of text and NDJSON files, in order (- is stdin)', command: '<%= config.bin %> <%= command.id %> -m model.gguf a.txt b.ndjson - < c.txt'},
    {description: 'Entities of a stream of records, then a SOAP note of each', command: 'cat notes.ndjson | <%= config.bin %> <%= command.id %> -m model.gguf | <%= config.bin %> soap -m model.gguf'},
    {description: 'Your own labels', command: '<%= config.bin %> <%= command.id %> -m model.gguf --labels Disease,Chemical -i abstracts.ndjson'},
    {description: 'Check proposed ICD-10-CM codes against the CMS order file', command: '<%= config.bin %> <%= command.id %> -m model.gguf --link icd10cm --codes icd10cm_order_2025.txt < note.txt'},
  ]

  static override args = taskArgs

  static override flags = {
    ...taskFlags,
    ...examplesFlags,
    // A structured answer about a whole note is longer than a summary.
    'max-tokens': Flags.integer({helpValue: 'N', description: 'Maximum tokens generated per model call.', min: 1, default: 1024, helpGroup: 'GENERATION'}),
    labels: Flags.string({description: 'Comma-separated entity labels.', default: DEFAULT_NER_LABELS.join(','), helpValue: 'A,B,…', helpGroup: 'NER'}),
    link: Flags.option({options: CODE_SYSTEMS, description: 'Ask for a code per entity in this system and check it.', helpGroup: 'NER'})(),
    codes: Flags.string({
      description:
        'ICD-10-CM table to check codes against: the CMS order file icd10cm_order_<year>.txt (fixed width: order number, code without dot, 0/1 billable flag, short and long description) or codes file icd10cm_codes_<year>.txt (code, spaces, description); plain or gzipped (.gz). Unzip the CMS .zip first.',
      dependsOn: ['link'],
      helpValue: 'FILE',
      helpGroup: 'NER',
    }),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Ner)
    const link = flags.link ? {system: flags.link, codes: flags.codes ? await loadIcd10cmTable(flags.codes) : undefined} : undefined
    const task = createNerTask({labels: parseLabels(flags.labels), link})
    const examples = flags.examples ? await readExamples(flags.examples, task) : undefined
    await runTaskCommand(task, flags, this.useLogger(flags), {files: argv as string[], examples})
  }
}
