import {readdir, readFile} from 'node:fs/promises'
import {join, posix, relative, sep} from 'node:path'

import ts from 'typescript'
import {assert, beforeAll, describe, expect, it} from 'vitest'

import {root} from '../helpers/spawn-cli.js'

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {recursive: true, withFileTypes: true})
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name))
}

describe('architecture', () => {
  it('imports node-llama-cpp only in src/lib/engine, and only lazily (so --help never loads llama.cpp)', async () => {
    for (const file of await sourceFiles(join(root, 'src'))) {
      const text = await readFile(file, 'utf8')
      const staticImport = /^import\s+(?!type\b)[^'"]*from\s+'node-llama-cpp'/m.test(text)
      const anyUse = text.includes("'node-llama-cpp'")
      const where = relative(root, file)
      expect(staticImport, `${where} imports node-llama-cpp at load time`).toBe(false)
      if (anyUse) expect(where.startsWith('src/lib/engine/'), `${where} uses node-llama-cpp outside the engine`).toBe(true)
    }
  })

  it('writes to stdout only from lib/io and lib/cli', async () => {
    for (const file of await sourceFiles(join(root, 'src/lib'))) {
      const where = relative(root, file)
      if (where.startsWith('src/lib/io/') || where.startsWith('src/lib/cli/')) continue
      const text = await readFile(file, 'utf8')
      expect(/process\.stdout|console\.(log|info)/.test(text), `${where} writes to stdout`).toBe(false)
    }
  })
})

// ---- Layers and circles: pure helpers over the relative imports of src/**/*.ts (see ARCHITECTURE.md) ----

/** One source file: its repo-relative path (posix), its text, line count and the files its relative imports name. */
interface SourceFile {
  path: string
  text: string
  lines: number
  imports: string[]
}

const MAX_FILE_LINES = 350
const MAX_FILES_PER_FOLDER = 10

/**
 * The relative specifiers of every `import … from`, `import type`, `export … from`, `import '…'` and
 * `import('…')` in `text`. TypeScript's own pre-processor reads them, so comments and strings never count.
 */
function relativeSpecifiers(text: string): string[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((s) => s.startsWith('./') || s.startsWith('../'))
}

/** The repo-relative .ts path a specifier in `from` names (`../engine/index.js` → `src/lib/engine/index.ts`). */
function resolveSpecifier(from: string, specifier: string): string {
  return posix.join(posix.dirname(from), specifier).replace(/\.js$/, '.ts')
}

/** The layer of a file, bottom (0) to top (3): core modules, use-cases, cli, commands. */
function layerOf(path: string): {name: string; rank: number} {
  if (path.startsWith('src/commands/')) return {name: 'src/commands', rank: 3}
  if (path.startsWith('src/lib/cli/')) return {name: 'src/lib/cli', rank: 2}
  if (path.startsWith('src/lib/use-cases/')) return {name: 'src/lib/use-cases', rank: 1}
  return {name: 'core', rank: 0}
}

/** The module of a file: the first folder under src/lib (`engine` for src/lib/engine/llama/engine.ts), or undefined. */
function moduleOf(path: string): string | undefined {
  return /^src\/lib\/([^/]+)\//.exec(path)?.[1]
}

/**
 * Every cycle in a directed graph, one per back edge a depth-first walk meets, each as a closed chain
 * (`[a, b, a]`). Nodes are visited in sorted order, so the report is stable.
 */
function findCycles(graph: Map<string, Set<string>>): string[][] {
  const cycles: string[][] = []
  const state = new Map<string, 'done' | 'open'>()
  const stack: string[] = []
  const visit = (node: string): void => {
    state.set(node, 'open')
    stack.push(node)
    for (const next of [...(graph.get(node) ?? [])].sort()) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next])
      else if (!state.has(next)) visit(next)
    }
    stack.pop()
    state.set(node, 'done')
  }
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node)
  return cycles
}

/** The graphs the cycle checks walk, and for each module edge one file import that makes it (`engine→hardware`). */
interface ImportGraphs {
  byFile: Map<string, Set<string>>
  /** Core modules only: use-cases and cli are layers, checked by the upward rule. */
  byModule: Map<string, Set<string>>
  why: Map<string, string>
}

function importGraphs(files: SourceFile[]): ImportGraphs {
  const byFile = new Map<string, Set<string>>()
  const byModule = new Map<string, Set<string>>()
  const why = new Map<string, string>()
  for (const file of files) {
    byFile.set(file.path, new Set(file.imports))
    const from = moduleOf(file.path)
    for (const target of file.imports) {
      const to = moduleOf(target)
      if (!from || !to || from === to || layerOf(file.path).rank > 0 || layerOf(target).rank > 0) continue
      if (!byModule.has(from)) byModule.set(from, new Set())
      byModule.get(from)!.add(to)
      if (!why.has(`${from}→${to}`)) why.set(`${from}→${to}`, `${file.path} imports ${target}`)
    }
  }
  return {byFile, byModule, why}
}

/** Imports that climb a layer: a core module into use-cases/cli/commands, use-cases into cli/commands, and so on. */
function upwardImports(files: SourceFile[]): string[] {
  return files.flatMap((file) =>
    file.imports
      .filter((target) => layerOf(target).rank > layerOf(file.path).rank)
      .map((target) => `${file.path} (${layerOf(file.path).name}) imports ${target} (${layerOf(target).name})`),
  )
}

/** Imports that reach into another module's files instead of its index.ts (src/lib/<module>/index.ts). */
function deepImports(files: SourceFile[]): string[] {
  return files.flatMap((file) =>
    file.imports
      .filter((target) => {
        const to = moduleOf(target)
        return to !== undefined && to !== moduleOf(file.path) && target !== `src/lib/${to}/index.ts`
      })
      .map((target) => `${file.path} imports ${target}: use src/lib/${moduleOf(target)}/index.ts`),
  )
}

/** Reads every .ts file under src/ once. */
async function readSources(): Promise<SourceFile[]> {
  const files: SourceFile[] = []
  for (const file of await sourceFiles(join(root, 'src'))) {
    const path = relative(root, file).split(sep).join('/')
    const text = await readFile(file, 'utf8')
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
    files.push({path, text, lines, imports: relativeSpecifiers(text).map((s) => resolveSpecifier(path, s))})
  }
  return files.sort((a, b) => a.path.localeCompare(b.path))
}

/** Fails with every problem on its own line, then what to do about them. */
function expectNone(problems: string[], whatToDo: string): void {
  if (problems.length > 0) assert.fail(`${problems.join('\n')}\n→ ${whatToDo}`)
}

describe('architecture: layers and circles', () => {
  let files: SourceFile[]
  beforeAll(async () => {
    files = await readSources()
  })

  it('finds a cycle in a graph (the helper the next checks rely on)', () => {
    const graph = new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])], ['d', new Set(['a'])]])
    expect(findCycles(graph)).toEqual([['a', 'b', 'c', 'a']])
    expect(findCycles(new Map([['a', new Set(['b'])], ['b', new Set<string>()]]))).toEqual([])
  })

  it('has no import cycle between files (type-only imports included)', () => {
    expectNone(
      findCycles(importGraphs(files).byFile).map((cycle) => `file cycle: ${cycle.join(' → ')}`),
      'break each cycle: move what both files need into a third file that imports neither, or pass it in',
    )
  })

  it('has no cycle between core modules (src/lib/<module>, type-only imports included)', () => {
    const {byModule, why} = importGraphs(files)
    expectNone(
      findCycles(byModule).map((cycle) => {
        const steps = cycle.slice(1).map((to, i) => `  ${why.get(`${cycle[i]}→${to}`)}`)
        return `module cycle: ${cycle.join(' → ')}\n${steps.join('\n')}`
      }),
      'modules must form a one-way graph: move what both need into a lower module both can import ' +
        '(as lib/cpu was taken out of hardware for the engines), or have the caller pass it in',
    )
  })

  it('never imports upward: core → use-cases → cli → commands', () => {
    expectNone(
      upwardImports(files),
      'a lower layer must not know a higher one: move the code down, or let the caller pass a value or callback in ' +
        '(use cases report progress through callbacks; only cli renders)',
    )
  })

  it('imports another module only through its index.ts', () => {
    expectNone(
      deepImports(files),
      "import from '../<module>/index.js'; if the name is missing there, export it from that index.ts",
    )
  })

  it(`keeps every file in src/ at ${MAX_FILE_LINES} lines or fewer`, () => {
    expectNone(
      files.filter((f) => f.lines > MAX_FILE_LINES).map((f) => `${f.path}: ${f.lines} lines`),
      'split each file by responsibility into smaller files of its module, re-exported from the index.ts',
    )
  })

  it(`keeps at most ${MAX_FILES_PER_FOLDER} files directly inside each folder of src/lib`, async () => {
    const entries = await readdir(join(root, 'src/lib'), {recursive: true, withFileTypes: true})
    const counts = new Map<string, number>()
    for (const e of entries.filter((e) => e.isFile())) {
      const folder = relative(root, e.parentPath).split(sep).join('/')
      counts.set(folder, (counts.get(folder) ?? 0) + 1)
    }
    expectNone(
      [...counts]
        .filter(([, n]) => n > MAX_FILES_PER_FOLDER)
        .map(([folder, n]) => `${folder}: ${n} files`)
        .sort(),
      'group related files into a sub-folder, as engine/llama, engine/vision and bench/datasets do',
    )
  })

  it('defines formatBytes once, in src/lib/format', () => {
    const definition = /\bfunction\s+formatBytes\b|\b(?:const|let|var)\s+formatBytes\b/
    const definitions = files.filter((f) => definition.test(f.text)).map((f) => f.path)
    expect(
      definitions,
      `formatBytes is defined in ${definitions.join(', ') || 'no file'}: keep the one in src/lib/format/index.ts ` +
        "and import it from '../format/index.js' everywhere else",
    ).toEqual(['src/lib/format/index.ts'])
  })
})

describe('README', () => {
  it('has the install and test commands .ci/run executes', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8')
    for (const marker of ['ci:install', 'ci:test', 'readme:try']) expect(readme).toMatch(new RegExp(`<!-- ${marker} -->\\n\`\`\`sh\\n.+\\n`))
  })
})

describe('README catalog table', () => {
  it('names every catalog model', async () => {
    const {listModels} = await import('../../src/lib/catalog/index.js')
    const readme = await readFile(join(root, 'README.md'), 'utf8')
    for (const model of listModels()) expect(readme, model.id).toContain(`\`${model.id}\``)
  })
})
