import {Args} from '@oclif/core'

import {BaseCommand, storeFlags} from '../../lib/cli/index.js'
import {formatBytes} from '../../lib/format/index.js'
import {removeModels, type RemovedModel} from '../../lib/store/index.js'

/** What `jsl-med models rm --json` returns. */
export interface ModelsRmResult {
  removed: RemovedModel[]
}

export default class ModelsRm extends BaseCommand {
  static override summary = 'Remove installed models and free their disk space.'

  static override description = `Removes each model from the store's manifest, then deletes its files (and mmproj, and any partial download) unless another installed entry still uses them. Names are the ids \`jsl-med models\` lists (e.g. qwen3-1.7b:q4), an --as alias, or the reference it was pulled with. An unknown name removes nothing and exits 4.`

  static override aliases = ['models:remove', 'models:delete']

  static override examples = [
    {description: 'Remove one model', command: '<%= config.bin %> <%= command.id %> qwen3-1.7b:q4'},
    {description: 'Remove several', command: '<%= config.bin %> <%= command.id %> medgemma-4b:q8 hf:bartowski/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct-Q4_K_M.gguf'},
  ]

  static override enableJsonFlag = true

  static override strict = false

  static override args = {
    id: Args.string({description: 'Installed model id (one or more).', required: true, ignoreStdin: true}),
  }

  static override flags = {
    ...storeFlags,
  }

  async run(): Promise<ModelsRmResult> {
    const {argv, flags} = await this.parse(ModelsRm)
    this.useLogger(flags)
    const removed = await removeModels(argv as string[], {dirs: flags['models-dir'] ? {modelsDir: flags['models-dir']} : undefined})
    if (!this.jsonEnabled()) for (const model of removed) this.log(`deleted ${model.id} (${formatBytes(model.freedBytes)} freed)`)
    return {removed}
  }
}
