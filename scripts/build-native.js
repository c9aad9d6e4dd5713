#!/usr/bin/env node
// Builds llama.cpp for this machine (OpenMP thread pool, -march=native) from the source node-llama-cpp bundles,
// offline, then loads it and runs a small quantized model on it in a child process to prove it (a build that crashes
// is removed, so jsl-med stays on the prebuilt binary), and measures it against the prebuilt binary (jsl-med's `auto`
// keeps the prebuilt when that was clearly faster). node-llama-cpp keeps it in its localBuilds folder and prefers
// it to the prebuilt binary; `npm install` keeps it, `npm ci` or a node-llama-cpp upgrade removes it (run this again).
// Usage: npm run build:native [-- --force] [-- --no-amx]. Everything goes to stderr.
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {dirname, join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

const say = (line) => process.stderr.write(`build:native: ${line}\n`)
// Rounds of the native/prebuilt comparison: an odd count, so the median is one round's figure.
const COMPARE_ROUNDS = 3
const fail = (line, hint) => {
  say(`error: ${line}`)
  if (hint) say(hint)
  process.exit(1)
}

const {values} = parseArgs({options: {force: {type: 'boolean', default: false}, 'no-amx': {type: 'boolean', default: false}, help: {type: 'boolean', short: 'h', default: false}}})
if (values.help) {
  process.stderr.write('Usage: npm run build:native [-- --force] [-- --no-amx]\nBuilds the OpenMP llama.cpp for this CPU (~10 minutes, offline); --force rebuilds an existing one; --no-amx leaves Intel AMX out from the start.\n')
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
  process.exit((await verify()) === 'ok' ? 0 : 1)
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
// -march=native turns on ggml's AMX kernels wherever the CPU reports AMX. On a Firecracker VM here every Q4_0/Q8_0
// matrix product of this OpenMP build then died with SIGILL or SIGSEGV in them, though the prebuilt binary (ggml's
// own threads) runs the same kernels there, and so does a one-thread probe program; the cause is not known. So a
// crash of the check on such a CPU builds again without AMX.
if (values['no-amx']) leaveOutAmx()
let outcome = await buildAndCheck()
if (outcome === 'crashed' && reportsAmx() && !values['no-amx']) {
  say('this CPU reports AMX, and some virtual machines report it without running it: building again without AMX')
  leaveOutAmx()
  outcome = await buildAndCheck()
}

process.exit(outcome === 'ok' ? 0 : 1)

/** Builds with `env`, then checks the build: 'ok', 'failed' (it does not load) or 'crashed' (removed). */
async function buildAndCheck() {
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
  return verify()
}

/**
 * Compiler flags that leave AMX out, as -D options: cmake-js sets CMAKE_CXX_FLAGS itself (so CXXFLAGS never reaches
 * cmake) but passes npm config keys `cmake_*` (environment `npm_cmake_*`) on. The release flags are cmake's GCC
 * default plus ours; a cmake option instead would put the build in a folder the CLI never looks in (see above).
 */
function leaveOutAmx() {
  const flags = '-O3 -DNDEBUG -mno-amx-tile -mno-amx-int8 -mno-amx-bf16'
  env.npm_cmake_CMAKE_C_FLAGS_RELEASE = flags
  env.npm_cmake_CMAKE_CXX_FLAGS_RELEASE = flags
}

function reportsAmx() {
  try {
    return /\bamx_tile\b/.test(readFileSync('/proc/cpuinfo', 'utf8'))
  } catch {
    return false
  }
}

/**
 * Loads the native binary the way jsl-med does, prints one line (kind, OpenMP, llama.cpp release), then runs models
 * on it: 'ok', 'failed' (it does not load, or is not the native build) or 'crashed' (a model run died; removed).
 */
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
    return 'failed'
  }

  const binary = engine.describeLlamaBinary(llama)
  say(`llama.cpp binary: ${binary.kind}, ${binary.openmp ? 'OPENMP = 1' : 'no OpenMP'}, release ${llama.llamaCppRelease.release}`)
  await llama.dispose()
  if (binary.kind !== 'native') {
    say('error: node-llama-cpp loaded its prebuilt binary instead of the native build')
    return 'failed'
  }

  if (!binary.openmp) say('warning: built without OpenMP (is libgomp installed?); it runs, but slows down like the prebuilt on a busy machine')
  const outcome = await computes()
  if (outcome === 'ok') await compareWithPrebuilt()
  return outcome
}

/**
 * Measures the native and the prebuilt binary on one random 0.25B Q4_0 model, interleaved round by round (pp512/tg128,
 * each binary at the threads it chooses), and writes the figures into the build's folder: jsl-med's `auto` takes the
 * prebuilt when it was clearly faster (engine.preferredBinary). A measurement that fails leaves no file (native wins).
 */
async function compareWithPrebuilt() {
  const dir = mkdtempSync(join(tmpdir(), 'jsl-med-native-compare-'))
  const model = join(dir, '0.25b-q4.gguf')
  const run = join(root, 'bin', 'run.js')
  const figures = {native: {pp: [], tg: []}, prebuilt: {pp: [], tg: []}}
  // An earlier build's figures must not outlive a measurement that fails now.
  rmSync(join(existing.dir, engine.BINARY_COMPARISON_FILE), {force: true})
  try {
    say('measuring the native and the prebuilt binary on a random 0.25B Q4_0 model, interleaved (about a minute)')
    const synth = spawnSync(process.execPath, [run, 'synth', model, '--shape', '0.25b', '--type', 'Q4_0', '-q'], {stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8'})
    if (synth.status !== 0) return say(`warning: could not write the model to compare the binaries (${synth.stderr.trim().split('\n').pop()}); jsl-med will take the native build`)
    for (let round = 1; round <= COMPARE_ROUNDS; round++) {
      for (const kind of ['native', 'prebuilt']) {
        const child = spawnSync(process.execPath, [run, 'bench', '-m', model, '--tasks', 'speed', '-r', '1', '-q'], {
          env: {...process.env, JSL_MED_LLAMA_BINARY: kind},
          stdio: ['ignore', 'pipe', 'pipe'],
          encoding: 'utf8',
        })
        const record = child.status === 0 ? JSON.parse(child.stdout.trim().split('\n')[0]) : undefined
        if (!record?.speed) return say(`warning: bench on the ${kind} binary failed (${child.stderr.trim().split('\n').pop()}); jsl-med will take the native build`)
        figures[kind].pp.push(record.speed.pp.tokensPerSecond.mean)
        figures[kind].tg.push(record.speed.tg.tokensPerSecond.mean)
      }
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }

  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
  const [native, prebuilt] = ['native', 'prebuilt'].map((kind) => ({pp: median(figures[kind].pp), tg: median(figures[kind].tg)}))
  const comparison = {measuredAt: new Date().toISOString(), model: 'random 0.25B Q4_0', native, prebuilt, preferred: engine.preferredBinary(native, prebuilt)}
  writeFileSync(join(existing.dir, engine.BINARY_COMPARISON_FILE), JSON.stringify(comparison, null, 2) + '\n')
  const show = ({pp, tg}) => `pp512 ${pp.toFixed(0)}, tg128 ${tg.toFixed(0)} t/s`
  say(`native ${show(native)}; prebuilt ${show(prebuilt)} (median of ${COMPARE_ROUNDS} interleaved rounds)`)
  say(
    comparison.preferred === 'native'
      ? 'jsl-med will use the native build'
      : 'the prebuilt binary was faster here: jsl-med keeps using it (JSL_MED_LLAMA_BINARY=native forces the native build)',
  )
}

/**
 * Runs a tiny random Q4_0 and Q8_0 model on the native binary in child processes (a crash must not take this script
 * with it): 'ok', 'failed' (no model could be written) or 'crashed'. A build that crashes is removed, or jsl-med
 * would pick it and crash at every command.
 */
async function computes() {
  const dir = mkdtempSync(join(tmpdir(), 'jsl-med-native-check-'))
  const run = join(root, 'bin', 'run.js')
  try {
    for (const type of ['Q4_0', 'Q8_0']) {
      const model = join(dir, `${type}.gguf`)
      const steps = [
        ['synth', model, '--type', type, '-q'],
        ['bench', '-m', model, '--tasks', 'speed', '-p', '64', '-n', '4', '-r', '1', '--no-warmup', '-t', '2', '-q', '--json'],
      ]
      for (const args of steps) {
        const child = spawnSync(process.execPath, [run, ...args], {env: {...process.env, JSL_MED_LLAMA_BINARY: 'native'}, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8'})
        if (child.status === 0) continue
        const how = child.signal ? `was killed by ${child.signal}` : `exited with ${child.status}`
        say(`error: jsl-med ${args[0]} on a ${type} model ${how} on the native build: ${child.stderr.trim().split('\n').slice(-2).join(' | ')}`)
        if (args[0] === 'synth') return 'failed'
        rmSync(existing.dir, {recursive: true, force: true})
        say(`removed ${relative(root, existing.dir)}, so jsl-med stays on the prebuilt binary`)
        return 'crashed'
      }
    }

    say('a Q4_0 and a Q8_0 model run on it')
    return 'ok'
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
