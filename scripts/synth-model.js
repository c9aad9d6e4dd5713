#!/usr/bin/env node
// Writes a synthetic random-weight GGUF model, so that anyone can try jsl-med without downloading one.
// Usage: npm run synth -- PATH [--shape tiny|0.25b|0.5b|1.7b|3.5b|8b|embd=..,layers=..] [--type F32|F16|Q8_0|Q4_0] [--seed N]
import {parseArgs} from 'node:util'

import {parseShape, synthesizeModel} from '../dist/lib/gguf/index.js'

const {positionals, values} = parseArgs({
  allowPositionals: true,
  options: {shape: {type: 'string', default: 'tiny'}, type: {type: 'string', default: 'F32'}, seed: {type: 'string', default: '1'}},
})
if (positionals.length !== 1) {
  process.stderr.write('Usage: npm run synth -- PATH [--shape tiny|0.25b|0.5b|1.7b|3.5b|8b] [--type F32|F16|Q8_0|Q4_0] [--seed N]\n')
  process.exit(2)
}

try {
  const result = await synthesizeModel({
    path: positionals[0],
    shape: parseShape(values.shape),
    tensorType: values.type,
    seed: Number(values.seed),
    onProgress: process.stderr.isTTY ? (written, total) => process.stderr.write(`\r${Math.round((100 * written) / total)}%`) : undefined,
  })
  if (process.stderr.isTTY) process.stderr.write('\r')
  process.stderr.write(`Wrote ${result.path}: ${(result.sizeBytes / 1e6).toFixed(1)} MB, ${result.parameterCount} parameters, ${result.tensorType} (random weights: the text it writes is nonsense)\n`)
  process.stdout.write(result.path + '\n')
} catch (error) {
  process.stderr.write(`Error: ${error.message}\n`)
  process.exit(2)
}
