#!/usr/bin/env node
// Builds llama.cpp for this machine (OpenMP thread pool, -march=native) from the source node-llama-cpp bundles,
// offline, then loads it once to prove it. node-llama-cpp keeps it in its localBuilds folder and prefers it to the
// prebuilt binary; `npm install` keeps it, `npm ci` or a node-llama-cpp upgrade removes it (run this again).
// Usage: npm run build:native [-- --force]. Everything goes to stderr.
import {spawn, spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

const say = (line) => process.stderr.write(`build:native: ${line}\n`)
const fail = (line, hint) => {
  say(`error: ${line}`)
  if (hint) say(hint)
  process.exit(1)
}

const {values} = parseArgs({options: {force: {type: 'boolean', default: false}, help: {type: 'boolean', short: 'h', default: false}}})
if (values.help) {
  process.stderr.write('Usage: npm run build:native [-- --force]\nBuilds the OpenMP llama.cpp for this CPU (~10 minutes, offline); --force rebuilds an existing one.\n')
  process.exit(0)
}

let engine
try {
  engine = await import('../dist/lib/engine/index.js')
} catch (error) {
  fail(`cannot load jsl-med's engine from dist/ (${error.message.split('\n')[0]})`, 'Run `npm install && npm run build` first.')
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const nlcEntry = createRequire(import.meta.url).resolve('node-llama-cpp')
const nlcDir = dirname(dirname(nlcEntry))
const existing = await engine.findNativeLlamaBuild()
if (existing.building) fail(`another build of ${relative(root, existing.dir)} is under way`, 'Wait for it to finish, then run this again.')
if (existing.built && !values.force) {
  say(`a native build already exists (${relative(root, existing.dir)}); \`npm run build:native -- --force\` rebuilds it`)
  process.exit((await verify()) ? 0 : 1)
}

// cmake, a C++ compiler, and a build tool cmake drives (make or ninja); each alternative counts.
const runs = (tool) => !spawnSync(tool, ['--version'], {stdio: 'ignore'}).error
const missing = [['cmake'], ['g++', 'c++'], ['make', 'ninja']].filter((tools) => !tools.some(runs)).map((tools) => tools.join(' or '))
if (missing.length > 0) {
  fail(
    `missing build tools: ${missing.join(', ')} (a native llama.cpp needs cmake, a C++ compiler and make)`,
    'Install them (Debian/Ubuntu: sudo apt-get install cmake g++ make; Fedora: sudo dnf install cmake gcc-c++ make), then run this again. jsl-med keeps working on the prebuilt binary meanwhile.',
  )
}

if (!existsSync(join(nlcDir, 'llama', 'gitRelease.bundle'))) say('warning: node-llama-cpp has no bundled llama.cpp source here; it will clone it from GitHub (network)')

// Custom cmake options would put the build in a hashed folder that the CLI never looks in.
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('NODE_LLAMA_CPP_CMAKE_OPTION_') && !/^GGML_/.test(key)))
say('building llama.cpp with OpenMP for this CPU from the bundled source (about 10 minutes on 2 idle cores; offline)')
const started = Date.now()
const cli = join(nlcDir, 'dist', 'cli', 'cli.js')
// node-llama-cpp's CLI logs to stdout: its stdout goes to our stderr, so stdout stays empty.
const child = spawn(process.execPath, [cli, 'source', 'download', '--gpu', 'false', '--noUsageExample'], {cwd: root, env, stdio: ['ignore', 2, 2]})
const forward = (signal) => child.kill(signal)
process.on('SIGINT', forward).on('SIGTERM', forward)
const code = await new Promise((resolve) => child.on('close', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1))))
process.off('SIGINT', forward).off('SIGTERM', forward)
const minutes = ((Date.now() - started) / 60_000).toFixed(1)
if (code !== 0) fail(`node-llama-cpp's build failed (exit ${code}) after ${minutes} min; its log is above`, 'jsl-med keeps working on the prebuilt binary. Fix the cause shown above and run this again.')

const built = await engine.findNativeLlamaBuild()
if (!built.built) fail(`the build finished but ${relative(root, built.dir)} holds no complete binary`)
say(`built ${relative(root, built.dir)} in ${minutes} min`)
process.exit((await verify()) ? 0 : 1)

/** Loads the native binary the way jsl-med does and prints one line: kind, OpenMP, llama.cpp release. */
async function verify() {
  const {getLlama} = await import('node-llama-cpp')
  let llama
  try {
    llama = await getLlama({
      ...engine.llamaBinaryOptions('native'),
      gpu: false,
      logLevel: 'error',
      logger: (level, message) => process.stderr.write(`llama.cpp: ${message.trimEnd()}\n`),
      progressLogs: false,
    })
  } catch (error) {
    say(`error: the native build does not load: ${error.message.split('\n')[0]}`)
    say('Rebuild it with `npm run build:native -- --force`.')
    return false
  }

  const binary = engine.describeLlamaBinary(llama)
  say(`llama.cpp binary: ${binary.kind}, ${binary.openmp ? 'OPENMP = 1' : 'no OpenMP'}, release ${llama.llamaCppRelease.release}`)
  await llama.dispose()
  if (binary.kind !== 'native') {
    say('error: node-llama-cpp loaded its prebuilt binary instead of the native build')
    return false
  }

  if (!binary.openmp) say('warning: built without OpenMP (is libgomp installed?); it runs, but slows down like the prebuilt on a busy machine')
  return true
}
