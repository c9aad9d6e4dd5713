#!/usr/bin/env node
// CommonJS (bin/package.json), because an ES module's body runs after Node's module loader has started libuv's
// thread pool, and its size must be set before that.
'use strict'

// One libuv worker thread. node-llama-cpp runs each decode as async work on this pool; with its default four threads
// successive decodes hop between them, and token generation at 2 threads ran at 36–50% of its speed on one pool
// thread (a 245M Q4_0 model, tg128 on 2 cores: prebuilt 58.7 → 163.7 t/s, OpenMP build 38.5 → 81.4 t/s, where
// llama-bench gave 77). The cost: other pool work (file reads, sampling of parallel sequences) waits for a decode.
process.env.UV_THREADPOOL_SIZE ??= '1'

const {enableCompileCache} = require('node:module')
const {pathToFileURL} = require('node:url')

// Node 22.1+ keeps compiled code of every module on disk, so later start-ups skip parsing (a no-op on Node 20).
enableCompileCache?.()

// A closed downstream pipe (`| head -1`) is a normal end for a filter, not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

async function main() {
  // Help pages rendered at build time: `--help` then costs a file read instead of loading @oclif/core.
  const {writePrerenderedHelp} = await import('../dist/lib/cli/help/pages.js')
  if (writePrerenderedHelp(process.argv.slice(2), pathToFileURL(`${__dirname}/../`))) return
  // The execute entry alone: commands never load the parts of @oclif/core only other entries use (about 50 ms).
  const {execute} = await import('@oclif/core/execute')
  // The package root, not this file: oclif would take bin/package.json for the CLI's.
  await execute({dir: pathToFileURL(`${__dirname}/../package.json`).href})
}

main().catch((error) => {
  // execute() reports command errors itself; this is only for a failure to load the CLI at all.
  process.exitCode = 1
  console.error(error)
})
