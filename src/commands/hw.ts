import {Flags} from '@oclif/core'

import {BaseCommand, renderHwReport} from '../lib/cli/index.js'
import {adviseMachine, type HwResult} from '../lib/use-cases/index.js'

export type {HwResult} from '../lib/use-cases/index.js'

export default class Hw extends BaseCommand {
  static override summary = 'Show what this machine can run, at which quantization, and why.'

  static override description = `Detects the CPU (model, physical/logical cores, SIMD), RAM (total, available, copy bandwidth), each GPU (name, vendor, VRAM) and the backend llama.cpp would use (CUDA, Vulkan, Metal or the CPU, and why not a GPU when a driver is present but unusable), and the llama.cpp binary (LLAMA.CPP: the native OpenMP build of \`npm run build:native\`, or node-llama-cpp's prebuilt one, which the default keeps when build:native measured it faster by 10% or more on this machine; \`JSL_MED_LLAMA_BINARY\` forces either). Then, for every model of the catalog, it recommends the quantization (q4/q8/q16), GPU layers, context size and threads, with a one-line reason.

The memory estimate is weights + KV cache for the context + compute buffers. With a GPU, the highest quantization that fits entirely in VRAM wins; on the CPU every token reads all the weights, so the advice weighs speed (memory bandwidth / bytes per token) against quality. Threads are the physical cores: more threads than cores makes llama.cpp far slower. A probe that fails or times out is reported as unknown, never as an error.

The memory bandwidth is measured once, with every core copying at once and the median of several passes, and kept with its date in the cache directory (bandwidth.json), so that the advice, and what \`pull --quant auto\` fetches, stays the same from run to run; it is measured again after 30 days, on another machine, or with --remeasure.

Every bench run is kept (see \`jsl-med bench --help\`: \`<data dir>/bench/<hardware key>.ndjson\`). When that history holds records of a model's file on this machine (same sha256, same hardware key: CPU, cores, llama.cpp's CPU features, backend and GPUs, RAM, OS, llama.cpp binary), the recommendation says "measured" and cites the newest figures at that quantization: generation and prompt tokens/s from the newest speed record, KL divergence and top-1 agreement from the newest quality record; otherwise it says "estimated". Telling this machine's key loads llama.cpp (about 0.7 s), only when there is a history. With --model the report ends with both the estimated figures and every measured one.

The report fits 80 columns: the machine, then one row per model with its speed (~ estimated, or measured). --wide gives each model's reason instead; --json gives everything.

Licensed John Snow Labs models are listed too: they are not openly downloadable, import your copy with \`jsl-med pull ./FILE.gguf --as ID\`.`

  static override examples = [
    {description: 'What can this machine run?', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'The same facts as one JSON document', command: '<%= config.bin %> <%= command.id %> --json'},
    {description: 'With the reason for each recommendation, and a fresh bandwidth measurement', command: '<%= config.bin %> <%= command.id %> --wide --remeasure'},
    {description: 'One model, planning for a 32k-token context', command: '<%= config.bin %> <%= command.id %> --model medgemma-4b --context 32768'},
    {description: 'Exact sizes from a GGUF file on disk', command: '<%= config.bin %> <%= command.id %> --model ./models/medgemma-4b-it-Q4_K_M.gguf'},
    {description: 'An installed model, by the name `jsl-med models` lists', command: '<%= config.bin %> <%= command.id %> --model tiny'},
    {description: 'Measured here, then advised from the measurement', command: '<%= config.bin %> bench -m model.gguf && <%= config.bin %> <%= command.id %> --model model.gguf'},
  ]

  static override enableJsonFlag = true

  static override flags = {
    model: Flags.string({char: 'm', description: 'Only this model: a catalog id or alias, else what every --model takes (a .gguf path, an installed id or alias, an installed hf: reference), whose file header gives exact sizes.', helpValue: 'ID|PATH|NAME'}),
    context: Flags.integer({description: 'Context size to plan for, in tokens. [default: 8192, reduced per model until it fits]', min: 64, helpValue: 'TOKENS'}),
    wide: Flags.boolean({description: "Add each model's reason, however wide the lines get (default: 80 columns)."}),
    remeasure: Flags.boolean({description: 'Measure the memory bandwidth again instead of taking the cached figure (about 1 s).'}),
    'load-backend': Flags.boolean({
      description: "Load llama.cpp even when no GPU library is found, to report its own CPU feature line (about 0.7 s slower). By default it is loaded only to confirm a GPU.",
    }),
  }

  async run(): Promise<HwResult> {
    const {flags} = await this.parse(Hw)
    const logger = this.useLogger(flags)
    const result = await adviseMachine({
      model: flags.model,
      contextSize: flags.context,
      detect: {loadBackend: flags['load-backend'] ? 'always' : 'auto', remeasureBandwidth: flags.remeasure, logger: (level, message) => logger.log(level, message)},
      logger: (level, message) => logger.log(level, message),
    })
    if (!this.jsonEnabled()) this.log(renderHwReport(result, {wide: flags.wide}))
    return result
  }
}
