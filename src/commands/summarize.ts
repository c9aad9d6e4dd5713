import {BaseCommand, runTaskCommand, taskFlags} from '../lib/cli/index.js'
import {summarizeTask} from '../lib/tasks/index.js'

export default class Summarize extends BaseCommand {
  static override summary = 'Summarize clinical notes with a local model.'

  static override description = `Reads a plain-text note, or NDJSON records with the note in "text", and writes a short factual summary.

Plain text in gives text out; NDJSON in gives NDJSON out: one line per input line, in order, with every input field kept and "summary" added. A record that fails becomes {"id":…,"error":{"code","message","hint"}} and the run goes on; the exit code is then 9. Error messages never quote the note.`

  static override examples = [
    {description: 'Summarize one note', command: '<%= config.bin %> <%= command.id %> --model model.gguf < note.txt'},
    {description: 'Summarize a stream of records', command: 'cat notes.ndjson | <%= config.bin %> <%= command.id %> -m model.gguf > summaries.ndjson'},
    {description: 'Take the text from another field, four records at a time', command: '<%= config.bin %> <%= command.id %> -m model.gguf -i notes.ndjson --field note -j 4'},
    {description: 'Try the pipeline without a model', command: 'echo \'{"id":1,"text":"Pt is a 67yo M with CHF."}\' | <%= config.bin %> <%= command.id %> --engine echo'},
  ]

  static override flags = taskFlags

  async run(): Promise<void> {
    const {flags} = await this.parse(Summarize)
    await runTaskCommand(summarizeTask, flags, this.useLogger(flags))
  }
}
