#!/usr/bin/env node
import module from 'node:module'

// Node 22.1+ keeps compiled code of every module on disk, so later start-ups skip parsing (a no-op on Node 20).
module.enableCompileCache?.()

// The execute entry alone: `--help` then never loads the parts of @oclif/core only commands use (about 50 ms).
const {execute} = await import('@oclif/core/execute')

// A closed downstream pipe (`| head -1`) is a normal end for a filter, not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

await execute({dir: import.meta.url})
