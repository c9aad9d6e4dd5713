import {Flags} from '@oclif/core'

import {BaseCommand, examplesFlags, runTaskCommand, taskArgs, taskFlags} from '../lib/cli/index.js'
import {createExtractTask, readExamples, readExtractSchema} from '../lib/tasks/index.js'

export default class Extract extends BaseCommand {
  static override summary = 'Extract data valid under your JSON Schema, with the offsets of every value copied from the text.'

  static override description = `Reads a plain-text note, or NDJSON records with the text in "text", and adds "data" (valid against --schema), "evidence": [{path, text, start, end}] and "unsupported": [path, …].

--schema is a JSON Schema (a file, or the JSON itself) or the concise syntax of simonw/llm: fields separated by commas (one per line when there are newlines), each "name [type][: description]" with type str (default), int, float or bool; every field is required. jsl-med adds "name [field, field …]" for a list of objects, e.g. "patient, age int, meds [name, dose, frequency]". JSON Schemas may use type, properties, required, additionalProperties, items, prefixItems, enum, const, oneOf/anyOf, $defs/$ref, minLength/maxLength, minItems/maxItems; anything else (pattern, format, minimum) is refused, since it could not be enforced. The model writes under a grammar compiled from the schema, with maxLength 200 on strings and maxItems 20 on lists that have none, so the answer is always valid against your schema (a string a model overruns with broken UTF-8, which llama.cpp's grammar does not count as characters, is cut to its maxLength).

Evidence: every string value that is not an enum or const is looked up in the text, ignoring differences of case and whitespace (the ner alignment). When found, "evidence" gives its JSON Pointer in data, the source's own text and its offsets, so text === source.slice(start, end) (JavaScript string indices: UTF-16 code units). A value that is not in the text gets no offsets: its pointer is listed in "unsupported". Empty strings are neither.

Long text: a text longer than the context is cut on section and paragraph boundaries, each part is extracted, and the answers are merged in text order: lists are concatenated without exact duplicates (cut at maxItems), objects are merged field by field, a scalar is the first part's value that is not null or "", and an enum, const or oneOf/anyOf value is taken whole from the first part that gave one. The record then has "data_chunks": N. When the model stops at --max-tokens, its complete part is kept if it is still valid ("data_truncated": true), else the record fails with E_OUTPUT_TRUNCATED.

Input: FILE arguments, read in order, or stdin (- or --input); each is NDJSON or one text document by its content. Output is NDJSON for NDJSON input and for plain text when stdout is not a terminal; the data and its evidence as text on a terminal; --format chooses.`

  static override examples = [
    {description: 'A medication list from one note (concise schema)', command: '<%= config.bin %> <%= command.id %> -m model.gguf --schema "meds [name, dose, frequency]" note.txt'},
    {description: 'Records against a JSON Schema file', command: '<%= config.bin %> <%= command.id %> -m model.gguf --schema meds.schema.json -i notes.ndjson > meds.ndjson'},
    {description: 'Values the model gave that are not in the text', command: '<%= config.bin %> <%= command.id %> -m model.gguf --schema "diagnosis, age int" -i notes.ndjson | jq -c \'select(.unsupported | length > 0)\''},
    {description: 'Try the pipeline without a model', command: 'echo \'{"id":1,"text":"Metformin 500 mg bid."}\' | <%= config.bin %> <%= command.id %> --engine echo --schema "meds [name, dose]"'},
  ]

  static override args = taskArgs

  static override flags = {
    ...taskFlags,
    ...examplesFlags,
    schema: Flags.string({
      description: 'JSON Schema (a file, or the JSON), or the concise syntax "name, age int, meds [name, dose]".',
      required: true,
      helpValue: 'FILE|SPEC',
      helpGroup: 'EXTRACT',
    }),
    // A structured answer about a whole note is longer than a summary.
    'max-tokens': Flags.integer({helpValue: 'N', description: 'Maximum tokens generated per model call.', min: 1, default: 1024, helpGroup: 'GENERATION'}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Extract)
    const task = createExtractTask({schema: await readExtractSchema(flags.schema)})
    const examples = flags.examples ? await readExamples(flags.examples, task) : undefined
    await runTaskCommand(task, flags, this.useLogger(flags), {files: argv as string[], examples})
  }
}
