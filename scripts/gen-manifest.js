#!/usr/bin/env node
// Writes oclif.manifest.json from dist/commands, as `oclif manifest` does, without the oclif CLI (a heavy
// devDependency). With the manifest, `--help` and command lookup read one JSON file instead of importing every
// command module. Usage: node scripts/gen-manifest.js   (run after `tsc`; `npm run build` does)
import {rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {Plugin} from '@oclif/core'

const root = fileURLToPath(new URL('..', import.meta.url))
const path = join(root, 'oclif.manifest.json')
await rm(path, {force: true})
const plugin = new Plugin({root, type: 'core', isRoot: true, ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true})
await plugin.load()
await writeFile(path, JSON.stringify(plugin.manifest, null, 2) + '\n')
process.stderr.write(`Wrote ${Object.keys(plugin.manifest.commands).length} commands to oclif.manifest.json\n`)
