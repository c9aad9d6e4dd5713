#!/usr/bin/env node
import module from 'node:module'

// Node 22.1+ keeps compiled code of every module on disk, so later start-ups skip parsing (a no-op on Node 20).
module.enableCompileCache?.()

// A closed downstream pipe (`| head -1`) is a normal end for a filter, not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

// Help pages rendered at build time: `--help` then costs a file read instead of loading @oclif/core.
const {writePrerenderedHelp} = await import('../dist/lib/cli/help/pages.js')
if (!writePrerenderedHelp(process.argv.slice(2), new URL('..', import.meta.url))) {
  // The execute entry alone: commands never load the parts of @oclif/core only other entries use (about 50 ms).
  const {execute} = await import('@oclif/core/execute')
  await execute({dir: import.meta.url})
}
