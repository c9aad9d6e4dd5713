import {Flags} from '@oclif/core'

import {BaseCommand, examplesFlags, runTaskCommand, taskArgs, taskFlags} from '../lib/cli/index.js'
import {createSummarizeTask, readExamples, SUMMARY_STYLES} from '../lib/tasks/index.js'

export default class Summarize extends BaseCommand {
  static override summary = 'Summarize clinical notes with a local model.'

  static override description = `Reads a plain-text note, or NDJSON records with the note in "text", and writes a factual summary.

Input: FILE arguments, read in order, or stdin (- or --input). Each input is NDJSON when it starts with "{", else one text document (a text file's id is its path); a JSON array or a header line before NDJSON is refused with a hint, and an empty input has no records (exit 0).

Plain text in gives text out (one text document); NDJSON or several files in give NDJSON out: one line per input line, in order, with every input field kept and "summary" added. A record that fails becomes {"id":…,"error":{"code","message","hint"}} and the run goes on; the exit code is then 9. Error messages never quote the note.

A note longer than the model's context is never truncated: it is cut on section and paragraph boundaries into parts that fit, each part is summarized, and the partial summaries are merged (in several rounds if needed). The record then says so with "summary_chunks": N (the number of parts); in text output a last line says so.

--style brief (default) writes a few sentences; discharge writes a discharge summary (Diagnoses, Hospital course, Procedures, Discharge medications, Follow-up); handoff writes an I-PASS handoff. --max-words N asks the model for at most N words and cuts a longer answer (at a sentence end when one is near).`

  static override examples = [
    {description: 'Summarize one note', command: '<%= config.bin %> <%= command.id %> --model model.gguf note.txt'},
    {description: 'Summarize several notes: one NDJSON record each, with the file name as id', command: '<%= config.bin %> <%= command.id %> -m model.gguf notes/*.txt > summaries.ndjson'},
    {description: 'Summarize a stream of records', command: 'cat notes.ndjson | <%= config.bin %> <%= command.id %> -m model.gguf > summaries.ndjson'},
    {description: 'A handoff of at most 80 words', command: '<%= config.bin %> <%= command.id %> -m model.gguf --style handoff --max-words 80 < note.txt'},
    {description: 'Take the text from another field, four records at a time', command: '<%= config.bin %> <%= command.id %> -m model.gguf -i notes.ndjson --field note -j 4'},
    {description: 'Try the pipeline without a model', command: 'echo \'{"id":1,"text":"Pt is a 67yo M with CHF."}\' | <%= config.bin %> <%= command.id %> --engine echo'},
  ]

  static override args = taskArgs

  static override flags = {
    ...taskFlags,
    ...examplesFlags,
    style: Flags.option({options: SUMMARY_STYLES, default: 'brief' as const, description: 'How the summary is written.', helpGroup: 'GENERATION'})(),
    'max-words': Flags.integer({helpValue: 'N', description: 'At most this many words in a summary (asked of the model, then enforced).', min: 1, helpGroup: 'GENERATION'}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Summarize)
    const task = createSummarizeTask({style: flags.style, maxWords: flags['max-words']})
    const examples = flags.examples ? await readExamples(flags.examples, task) : undefined
    await runTaskCommand(task, flags, this.useLogger(flags), {files: argv as string[], examples})
  }
}
