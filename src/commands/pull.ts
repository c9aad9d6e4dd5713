import {Args, Flags} from '@oclif/core'

import {BaseCommand, createDownloadProgress, storeFlags, trapInterrupt} from '../lib/cli/index.js'
import {formatBytes} from '../lib/format/index.js'
import {ENV_VARS} from '../lib/paths/index.js'
import {pullModel, type PullResult} from '../lib/store/index.js'
import {adviseQuant} from '../lib/use-cases/index.js'

export type {PullResult} from '../lib/store/index.js'

export default class Pull extends BaseCommand {
  static override summary = 'Download a model into the local store (or import a .gguf), verified and resumable.'

  static override description = `MODEL is one of:
  a catalog alias          medgemma-4b, qwen3-1.7b:q8 (see \`jsl-med hw\` for the catalog)
  a Hugging Face file      hf:owner/repo/path/file.gguf (add @revision to pin one)
  a Hugging Face repo      hf:owner/repo:Q4_K_M (the file is picked by quantization name; :q4/:q8/:q16 pick a tier)
  a URL                    https://host/path/model.gguf
  a local file             ./model.gguf, imported (copied) into the store; name it with --as

Downloads go to a .part file next to their destination and resume from it after an interruption (Ctrl-C, a kill, a lost connection: run the same command again). The sha256 is computed while streaming and checked against the catalog or the hub (tree API lfs.oid, X-Linked-Etag); a mismatch deletes the file and installs nothing (exit 5). The GGUF header is validated, then the file is renamed into place and recorded in the store's manifest. A lock file makes a second pull of the same file wait for the first. Vision models bring their mmproj along.

Progress goes to stderr (a bar on a terminal, plain lines otherwise); stdout gets only the installed path, or a JSON document with --json. Gated repos need HF_TOKEN (or the token file of huggingface-cli login); the token is only ever sent to HF_ENDPOINT, never printed.

The store is $JSL_MED_MODELS_DIR, else $JSL_MED_DATA_DIR/models, else ~/.local/share/jsl-med/models. List it with \`jsl-med models\`; remove with \`jsl-med models rm ID\`.

Environment:
${ENV_VARS.map((variable) => `  ${variable.name}: ${variable.description}`).join('\n')}`

  static override examples = [
    {description: 'A catalog model, at the quantization the hardware advisor picks', command: '<%= config.bin %> <%= command.id %> medgemma-4b'},
    {description: 'An 8-bit build of a catalog model', command: '<%= config.bin %> <%= command.id %> qwen3-1.7b --quant q8'},
    {description: 'Any GGUF on Hugging Face, by quantization name', command: '<%= config.bin %> <%= command.id %> hf:bartowski/SmolLM2-135M-Instruct-GGUF:Q4_K_M'},
    {description: 'Import a licensed model you already have', command: '<%= config.bin %> <%= command.id %> ./jsl_meds_q4_v3.gguf --as jsl-meds --quant q4'},
    {description: 'Use it at once', command: '<%= config.bin %> <%= command.id %> qwen3-1.7b && jsl-med summarize --model qwen3-1.7b < note.txt'},
    {description: 'Machine-readable result (path, size, sha256, source, revision, license)', command: '<%= config.bin %> <%= command.id %> qwen3-1.7b --json'},
  ]

  static override enableJsonFlag = true

  static override args = {
    model: Args.string({description: 'Catalog alias, hf:owner/repo/file.gguf, hf:owner/repo:QUANT, URL, or a local .gguf file.', required: true, ignoreStdin: true}),
  }

  static override flags = {
    quant: Flags.option({
      options: ['auto', 'q4', 'q8', 'q16'] as const,
      default: 'auto' as const,
      description: 'Quantization tier for catalog models and hf:owner/repo. auto: a tier already installed, else the one `jsl-med hw` recommends for this machine.',
    })(),
    as: Flags.string({description: 'Install under this name (what --model takes); for imports, a catalog id links the file to the catalog (license, checksum).', helpValue: 'NAME'}),
    mmproj: Flags.string({description: 'Vision projector (.gguf) to import along with a local model.', helpValue: 'FILE'}),
    offline: Flags.boolean({description: 'Never use the network: succeed only when the model is installed (also JSL_MED_OFFLINE=1, HF_HUB_OFFLINE=1).'}),
    force: Flags.boolean({description: 'Download or copy again even when the model is installed.'}),
    retries: Flags.integer({description: 'Automatic resumptions after a lost connection or a server error.', min: 0, default: 3}),
    ...storeFlags,
  }

  async run(): Promise<PullResult> {
    const {args, flags} = await this.parse(Pull)
    const logger = this.useLogger(flags)
    const progress = createDownloadProgress({quiet: flags.quiet})
    const interrupt = trapInterrupt(() => {
      progress.finish()
      logger.info('Interrupted: what was downloaded is kept; run the same command again to resume.')
    })
    try {
      const result = await pullModel({
        ref: args.model,
        quant: flags.quant,
        as: flags.as,
        mmproj: flags.mmproj,
        offline: flags.offline,
        force: flags.force,
        retries: flags.retries,
        dirs: flags['models-dir'] ? {modelsDir: flags['models-dir']} : undefined,
        chooseQuant: adviseQuant,
        signal: interrupt.signal,
        onProgress: (event) => progress.update(event),
        log: (level, message) => logger.log(level, message),
      })
      progress.finish()
      const check = result.verified ? `sha256 verified against the ${result.checksumSource === 'catalog' ? 'catalog' : 'hub'}` : 'sha256 recorded (no published checksum)'
      logger.info(`${result.alreadyInstalled ? 'Already installed' : 'Installed'}: ${result.id} (${formatBytes(result.sizeBytes)}, ${check})${result.mmproj ? `, mmproj ${result.mmproj.path}` : ''}`)
      if (!this.jsonEnabled()) this.log(result.path)
      return result
    } finally {
      progress.finish()
      interrupt.release()
    }
  }
}
