import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../lib/cli/index.js'
import {formatBytes} from '../lib/format/index.js'
import {synthesizeTryModel, type SynthesizeTryModelResult} from '../lib/use-cases/index.js'

/** What `jsl-med synth --json` returns. */
export type SynthResult = SynthesizeTryModelResult

export default class Synth extends BaseCommand {
  static override summary = 'Write a random-weight model (and vision projector) to try jsl-med without a download.'

  static override description = `Writes a llama-architecture GGUF model with seeded random weights and a byte-level tokenizer: llama.cpp loads and runs it like any model, but the text it writes is nonsense. It proves that the pipeline works on this machine (install, load, records in and out, speed), not what a model says.

--projector also writes a LLaVA-style vision projector, mmproj-<FILE>, next to the model and sized for it; \`jsl-med vlm -m FILE\` finds it there without --mmproj. Images are decoded and encoded for real; the answers are nonsense too.

--lora also writes a LoRA adapter, lora-<FILE>, next to the model and shaped for it (GGUF: general.type adapter, adapter.type lora, adapter.lora.alpha, and per attention and feed-forward weight W the tensors W.lora_a and W.lora_b, rank 4); \`--lora lora-<FILE>\` on a task command applies it, and it changes the model's output.

--shape takes tiny (≈140K parameters, 0.6 MB in F32: tests), 0.25b, 0.5b, 1.7b, 3.5b or 8b (realistic sizes for memory and speed), or key=value overrides of tiny: embd, layers, heads, kv, ff, vocab, ctx. The same --seed gives byte-identical files. stdout gets the model's path (then the projector's and the adapter's, one a line).`

  static override examples = [
    {description: 'A tiny model, then a summary from it', command: '<%= config.bin %> <%= command.id %> models/tiny.gguf && echo "Pt is a 67yo M with CHF." | <%= config.bin %> summarize -m models/tiny.gguf'},
    {description: 'A model with a vision projector, then a question about an image', command: '<%= config.bin %> <%= command.id %> models/tiny.gguf --projector && <%= config.bin %> vlm -m models/tiny.gguf --image xray.png "Any effusion?"'},
    {description: 'A model and a LoRA adapter for it, then a summary with the adapter at half strength', command: '<%= config.bin %> <%= command.id %> models/tiny.gguf --lora && echo "Pt has CHF." | <%= config.bin %> summarize -m models/tiny.gguf --lora models/lora-tiny.gguf:0.5'},
    {description: 'A 0.5B-parameter model in Q8_0, for speed and memory measurements', command: '<%= config.bin %> <%= command.id %> models/m05.gguf --shape 0.5b --type Q8_0'},
    {description: 'A custom shape', command: '<%= config.bin %> <%= command.id %> models/small.gguf --shape embd=128,layers=4,ctx=2048 --seed 7'},
  ]

  static override enableJsonFlag = true

  static override args = {
    path: Args.string({description: 'Where to write the model (.gguf); parent directories are created.', required: true}),
  }

  static override flags = {
    shape: Flags.string({description: 'tiny, 0.25b, 0.5b, 1.7b, 3.5b, 8b, or key=value overrides of tiny (embd, layers, heads, kv, ff, vocab, ctx).', default: 'tiny', helpValue: 'SHAPE'}),
    type: Flags.option({options: ['F32', 'F16', 'Q8_0', 'Q4_0'] as const, default: 'F32' as const, description: 'Storage type of the weights.'})(),
    seed: Flags.integer({description: 'Seed of the random weights.', default: 1, helpValue: 'N'}),
    projector: Flags.boolean({description: 'Also write a vision projector (mmproj-<FILE>) next to the model, for `vlm`.'}),
    lora: Flags.boolean({description: 'Also write a LoRA adapter (lora-<FILE>) next to the model, for `--lora`.'}),
    embedding: Flags.boolean({description: 'Write an embedding model (mean pooling), for `index add --embed-model`.', exclusive: ['projector']}),
  }

  async run(): Promise<SynthResult> {
    const {args, flags} = await this.parse(Synth)
    const logger = this.useLogger(flags)
    const result = await synthesizeTryModel({path: args.path, shape: flags.shape, tensorType: flags.type, seed: flags.seed, projector: flags.projector, lora: flags.lora, embedding: flags.embedding})
    const {model, projector, lora} = result
    logger.info(`Wrote ${model.path}: ${formatBytes(model.sizeBytes)}, ${model.parameterCount} parameters, ${model.tensorType} (random weights: the text it writes is nonsense)`)
    if (projector) logger.info(`Wrote ${projector.path}: ${formatBytes(projector.sizeBytes)}, vision projector, ${projector.imageTokens} tokens per image`)
    if (lora) logger.info(`Wrote ${lora.path}: ${formatBytes(lora.sizeBytes)}, LoRA adapter, ${lora.tensorCount} tensors`)
    if (!this.jsonEnabled()) this.log([model.path, projector?.path, lora?.path].filter(Boolean).join('\n'))
    return result
  }
}
