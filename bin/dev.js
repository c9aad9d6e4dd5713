#!/usr/bin/env -S node --import tsx --no-warnings
import {execute} from '@oclif/core'

process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

await execute({development: true, dir: import.meta.url})
