#!/usr/bin/env -S node --no-warnings
// CommonJS (bin/package.json), like run.js: UV_THREADPOOL_SIZE must be set before libuv's thread pool starts, which
// an ES module's body, or anything after `node --import tsx`, is too late for. tsx is not imported here: execute()'s
// development mode registers it (it is in devDependencies) and maps dist/ to src/.
'use strict'

// One libuv worker thread, as in run.js (see its comment for why), so that dev runs measure what users get.
process.env.UV_THREADPOOL_SIZE ??= '1'

const {pathToFileURL} = require('node:url')

process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

async function main() {
  const {execute} = await import('@oclif/core')
  // The package root, not this file: oclif would take bin/package.json for the CLI's.
  await execute({development: true, dir: pathToFileURL(`${__dirname}/../package.json`).href})
}

main().catch((error) => {
  // execute() reports command errors itself; this is only for a failure to load the CLI at all.
  process.exitCode = 1
  console.error(error)
})
