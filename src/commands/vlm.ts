import {resolve} from 'node:path'

import {Args, Flags} from '@oclif/core'

import {BaseCommand, runTaskCommand, taskFlags} from '../lib/cli/index.js'
import {createVisionEngine} from '../lib/engine/index.js'
import {UsageError} from '../lib/errors/index.js'
import {loadImage} from '../lib/images/index.js'
import {createVlmTask, parseLabelList, readSchemaFile, singleImageSource} from '../lib/tasks/index.js'
import {resolveProjector} from '../lib/use-cases/index.js'

export default class Vlm extends BaseCommand {
  static override summary = 'Ask a vision model about medical images, or extract structured data from them.'

  static override description = `Answers a question about an image with a local vision model: a GGUF language model (--model) plus its vision projector (--mmproj, the mmproj-*.gguf file published with it; found automatically when it is the only one next to the model).

One image: --image FILE and the question as the argument; the answer is printed as text. A stream: NDJSON records with the image path in "image" (--field) and the question in "question" (--question-field; the argument is the default question); one output line per input line, in order, with every input field kept and "answer" added. A record whose image is missing or unreadable becomes {"id":…,"error":{"code","message","hint"}} and the run goes on (exit 9 at the end). Error messages never quote the question or the image path.

Images: PNG, JPEG and DICOM (Part 10; uncompressed, deflated or baseline JPEG). Every image is decoded locally and re-encoded as bare pixels, so no EXIF data, text chunk or DICOM attribute (patient name, IDs, dates) reaches the model, the output or the logs. DICOM pixels are converted to 8 bits the way a viewer shows them: rescale slope/intercept, the file's window center/width (or the pixel range), MONOCHROME1 inverted; the first frame of a multi-frame file. A file that declares burned-in annotations gets a warning: text in the pixels does reach the model.

Structured output: --schema FILE constrains the answer to JSON valid against a JSON schema (supported: type, properties, items, prefixItems, enum, const, oneOf/anyOf, $defs/$ref, minLength/maxLength, minItems/maxItems, required; every listed property is always produced; bound strings and arrays so that generation ends). --labels A,B,… extracts {"entities":[{"text","label"}]} from a document image.

The model runs in a child process (llama.cpp's multimodal library through @fugood/llama.node). --verbose shows its logs on stderr; they quote the prompt, so they contain the question.`

  static override examples = [
    {description: 'Ask about one image', command: '<%= config.bin %> <%= command.id %> -m medgemma-4b-it-Q4_K_M.gguf --mmproj mmproj-medgemma-4b-it-F16.gguf --image chest.jpg "Is there a pleural effusion?"'},
    {description: 'Ask about a DICOM file (only its pixels reach the model)', command: '<%= config.bin %> <%= command.id %> -m model.gguf --image study/IM0001.dcm "Which body part is shown?"'},
    {description: 'A stream of image questions', command: 'cat questions.ndjson | <%= config.bin %> <%= command.id %> -m model.gguf --image-dir images/ > answers.ndjson'},
    {description: 'Structured extraction from scanned lab reports', command: '<%= config.bin %> <%= command.id %> -m model.gguf --labels test,value,unit -i scans.ndjson'},
    {description: 'JSON answers under a schema', command: '<%= config.bin %> <%= command.id %> -m model.gguf --image xray.png --schema finding.schema.json'},
  ]

  static override args = {
    question: Args.string({description: 'The question about the image; a record\'s own "question" field wins.', required: false, ignoreStdin: true}),
  }

  static override flags = {
    ...taskFlags,
    mmproj: Flags.string({description: 'Vision projector (mmproj GGUF) of the model. [default: the one installed with it, or the one mmproj*.gguf next to its file]', env: 'JSL_MED_MMPROJ', helpValue: 'PATH', helpGroup: 'MODEL'}),
    image: Flags.string({description: 'Image file (PNG, JPEG, DICOM) to ask about, instead of reading records.', helpValue: 'FILE', helpGroup: 'VLM'}),
    schema: Flags.string({description: 'Answer as JSON valid against this JSON schema file.', helpValue: 'FILE', exclusive: ['labels'], helpGroup: 'VLM'}),
    labels: Flags.string({description: 'Extract entities of these comma-separated labels from the image.', helpValue: 'A,B,…', helpGroup: 'VLM'}),
    field: Flags.string({description: 'Input field holding the image path.', default: 'image', helpValue: 'NAME', helpGroup: 'INPUT/OUTPUT'}),
    'question-field': Flags.string({description: 'Input field holding the question.', default: 'question', helpValue: 'NAME', helpGroup: 'INPUT/OUTPUT'}),
    'image-dir': Flags.string({description: 'Directory that relative image paths are resolved against. [default: the current directory]', helpValue: 'DIR', helpGroup: 'VLM'}),
    'max-image-side': Flags.integer({description: 'Images larger than this many pixels on their longer side are shrunk first.', min: 64, default: 2048, helpValue: 'PX', helpGroup: 'VLM'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Vlm)
    const logger = this.useLogger(flags)
    if (flags.lora?.length) throw new UsageError('vlm does not apply LoRA adapters yet', {hint: 'Merge the adapter into the model (llama.cpp llama-export-lora), or leave out --lora.'}, 'E_LORA_UNSUPPORTED')
    if (flags.image && !args.question && !flags.schema && !flags.labels) {
      throw new UsageError('No question given', {hint: 'Ask it as the argument: jsl-med vlm --image scan.jpg "Is there a pleural effusion?"'}, 'E_NO_QUESTION')
    }

    const image = flags.image && resolve(flags.image)
    // Fail before loading a multi-gigabyte model when the one image is missing or unreadable.
    if (image) await loadImage(image, {maxSidePx: flags['max-image-side']})
    const task = createVlmTask({
      question: args.question,
      questionField: flags['question-field'],
      schema: flags.schema ? await readSchemaFile(flags.schema) : undefined,
      labels: flags.labels ? parseLabelList(flags.labels) : undefined,
      imageDir: flags['image-dir'],
      image: {maxSidePx: flags['max-image-side']},
      onImageWarning: (message) => logger.warn(message),
    })
    const source = image ? singleImageSource(image, {imageField: flags.field, questionField: flags['question-field'], question: args.question}) : undefined
    await runTaskCommand(task, flags, logger, {
      // The projector: --mmproj, else the one installed with the model (`jsl-med pull`), else the one next to its file.
      createEngine: async (options) => {
        const mmprojPath = await resolveProjector({given: flags.mmproj, model: options.kind === 'echo' ? undefined : flags.model, modelPath: options.modelPath})
        return createVisionEngine({...options, mmprojPath})
      },
      openSource: source && (async () => source),
    })
  }
}
