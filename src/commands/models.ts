import {BaseCommand, renderModelTable, storeFlags} from '../lib/cli/index.js'
import {resolveDirs} from '../lib/paths/index.js'
import {listInstalledModels, type InstalledModel} from '../lib/store/index.js'

/** What `jsl-med models --json` returns. */
export interface ModelsResult {
  modelsDir: string
  models: InstalledModel[]
}

export default class Models extends BaseCommand {
  static override summary = 'List the installed models, with size and quantization.'

  static override description = `Lists what \`jsl-med pull\` installed: the id to pass to --model, the quantization, the size (with the mmproj of vision models), whether the sha256 was verified against the catalog or the hub (or only recorded), the installation date and the path. A model whose file has disappeared is marked MISSING.

Remove models with \`jsl-med models rm ID…\`. The store is $JSL_MED_MODELS_DIR, else $JSL_MED_DATA_DIR/models, else ~/.local/share/jsl-med/models; its manifest.json is the list.`

  static override aliases = ['models:list', 'models:ls']

  static override examples = [
    {description: 'What is installed', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'The same as JSON, e.g. for the paths', command: "<%= config.bin %> <%= command.id %> --json | jq -r '.models[].path'"},
    {description: 'Another store', command: '<%= config.bin %> <%= command.id %> --models-dir /mnt/models'},
  ]

  static override enableJsonFlag = true

  static override flags = {
    ...storeFlags,
  }

  async run(): Promise<ModelsResult> {
    const {flags} = await this.parse(Models)
    const logger = this.useLogger(flags)
    const modelsDir = resolveDirs({modelsDir: flags['models-dir']}).modelsDir
    const models = await listInstalledModels({dirs: {modelsDir}})
    if (!this.jsonEnabled()) {
      if (models.length === 0) logger.info(`No models installed in ${modelsDir}. Try: jsl-med pull qwen3-1.7b`)
      else this.log(renderModelTable(models))
    }

    return {modelsDir, models}
  }
}
