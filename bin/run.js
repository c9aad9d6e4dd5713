#!/usr/bin/env node
import {execute} from '@oclif/core'

// A closed downstream pipe (`| head -1`) is a normal end for a filter, not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

await execute({dir: import.meta.url})
