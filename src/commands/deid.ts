import {Flags} from '@oclif/core'

import {BaseCommand, runDeidCommand, taskArgs, taskFlags} from '../lib/cli/index.js'
import {DEID_MODES, MODEL_CATEGORIES, RULE_CATEGORIES} from '../lib/deid/index.js'

export default class Deid extends BaseCommand {
  static override summary = 'Find protected health information (PHI) and mask, redact, replace, hash or date-shift it.'

  static override description = `Reads a plain-text note, or NDJSON records with the text in "text", and writes "deid_text" and "phi": [{category, start, end, source, deid_start, deid_end}] — start and end index the source exactly (JavaScript string indices), deid_start and deid_end the replacement in deid_text, source is rule or model. The input text is left out of the record unless --keep-original; --no-spans leaves out "phi". A plain-text note in gives plain text out.

Two detectors, merged. Rules find ${RULE_CATEGORIES.join(', ')}: dates in every common format (chrono-node: 3/4/21, March 4th, 2021-03-04, 04-Mar-2021; a year alone is not PHI, a numeric date without a year only after a date cue: f/u 3/18, seen 12/2), phone and fax numbers, emails, URLs, IPv4/IPv6, SSNs, numbers after their cue (MRN, member ID, acct #, DEA, licence plate, serial number; --id-pattern adds your own), VINs, street addresses, ZIP codes after a state or cue, ages over 89; and names after a cue (Patient: Ana Lopez, Name:, Dr./Mr./Mrs.). The model, under a JSON-schema grammar, finds ${MODEL_CATEGORIES.join(', ')} without a cue; its proposals count only where they are whole words of the text. Every other mention of what was found (Lopez alone, brian in lower case) is PHI too, and overlapping spans become one span covering all of them.

--mode mask writes [CATEGORY]; redact [REDACTED]; surrogate a realistic stand-in (faker), the same for the same original within a patient (--patient-field; without it the whole run is one patient), with dates shifted; hash [CATEGORY:16 hex digits of HMAC-SHA256], the same across patients; date-shift moves every date of a patient by one offset (1 to 365 days either way) keeping its format and the intervals, and masks the rest. The key of surrogates, offsets and hashes comes from --key-file or JSL_MED_DEID_KEY (never a flag value); without one a random key per run is used, and hash mode refuses to run.

--map FILE writes the re-identification map (one NDJSON line per replacement: id, patient, category, offsets, original, replacement) with file mode 0600. Originals are written nowhere else: not to stdout, stderr or --audit. Rule-based categories are measured by \`bench --tasks deid\`; what the model finds depends on the model.`

  static override examples = [
    {description: 'Mask the PHI of a note', command: '<%= config.bin %> <%= command.id %> -m model.gguf < note.txt'},
    {description: 'Surrogates consistent per patient, with a stable key and a re-identification map', command: '<%= config.bin %> <%= command.id %> -m model.gguf --mode surrogate --patient-field mrn --key-file deid.key --map map.ndjson -i notes.ndjson'},
    {description: 'Rules only (no model), dates shifted per patient', command: '<%= config.bin %> <%= command.id %> --rules-only --mode date-shift --patient-field patient_id --key-file deid.key -i notes.ndjson'},
    {description: 'Linkable hashes, with the key in the environment', command: 'JSL_MED_DEID_KEY=$(cat deid.key) <%= config.bin %> <%= command.id %> -m model.gguf --mode hash -i notes.ndjson'},
    {description: 'Your own MRN format', command: "<%= config.bin %> <%= command.id %> --rules-only --id-pattern 'mrn=\\bMR\\d{7}\\b' < note.txt"},
  ]

  static override args = taskArgs

  static override flags = {
    ...taskFlags,
    'max-tokens': Flags.integer({helpValue: 'N', description: 'Maximum tokens generated per model call.', min: 1, default: 1024, helpGroup: 'GENERATION'}),
    mode: Flags.option({options: DEID_MODES, default: 'mask' as const, description: 'How PHI is replaced.', helpGroup: 'DEID'})(),
    'patient-field': Flags.string({helpValue: 'NAME', description: 'Input field naming the patient: surrogates and date offsets are per patient. [default: the run is one patient]', helpGroup: 'DEID'}),
    'key-file': Flags.string({helpValue: 'FILE', description: 'File holding the key of surrogates, date offsets and hashes (at least 16 characters). [default: $JSL_MED_DEID_KEY, else random per run]', helpGroup: 'DEID'}),
    map: Flags.string({helpValue: 'FILE', description: 'Write the re-identification map (originals and replacements) to FILE, mode 0600.', helpGroup: 'DEID'}),
    'keep-original': Flags.boolean({description: 'Keep the input text in the output record.', helpGroup: 'DEID'}),
    spans: Flags.boolean({description: 'Write the "phi" spans (--no-spans leaves them out).', default: true, allowNo: true, helpGroup: 'DEID'}),
    'id-pattern': Flags.string({helpValue: 'CATEGORY=REGEX', description: 'Another identifier pattern (repeatable); group 1, when present, is the identifier.', multiple: true, helpGroup: 'DEID'}),
    'rules-only': Flags.boolean({description: 'Rules only: no model is loaded (no --model needed); names need a cue.', helpGroup: 'DEID'}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Deid)
    const options = {
      mode: flags.mode,
      patientField: flags['patient-field'],
      keyFile: flags['key-file'],
      map: flags.map,
      keepOriginal: flags['keep-original'],
      spans: flags.spans,
      idPatterns: flags['id-pattern'] ?? [],
      rulesOnly: flags['rules-only'],
    }
    await runDeidCommand(options, flags, this.useLogger(flags), argv as string[])
  }
}
