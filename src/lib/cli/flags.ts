import {Flags} from '@oclif/core'

const number = Flags.custom<number>({
  parse: async (input) => {
    const value = Number(input)
    if (!Number.isFinite(value)) throw new Error(`Expected a number but received: ${input}`)
    return value
  },
})

/**
 * The flags every streaming task command (summarize, soap, ner, vlm) shares, defined once.
 * Defaults here are the documented defaults.
 */
export const taskFlags = {
  model: Flags.string({char: 'm', description: 'GGUF model file to run, or an installed model (see `jsl-med models`; a catalog alias such as qwen3-1.7b).', env: 'JSL_MED_MODEL', helpValue: 'PATH|NAME', helpGroup: 'MODEL'}),
  engine: Flags.option({
    options: ['llama', 'echo'] as const,
    default: 'llama' as const,
    description: 'Inference engine: llama (llama.cpp) or echo (a deterministic stand-in that needs no model, for testing pipelines).',
    helpGroup: 'MODEL',
  })(),
  gpu: Flags.option({
    options: ['auto', 'off', 'cuda', 'vulkan', 'metal'] as const,
    default: 'auto' as const,
    description: 'GPU backend; auto falls back to the CPU.',
    env: 'JSL_MED_GPU',
    helpGroup: 'MODEL',
  })(),
  threads: Flags.integer({helpValue: 'N', description: 'CPU threads. [default: physical cores]', min: 1, env: 'JSL_MED_THREADS', helpGroup: 'MODEL'}),
  'context-size': Flags.integer({helpValue: 'N', description: "Context size per sequence, in tokens. [default: the model's, at most 4096]", min: 64, helpGroup: 'MODEL'}),
  parallel: Flags.integer({helpValue: 'N', char: 'j', description: 'Records generated at once (sequences in one context).', min: 1, max: 256, default: 1, helpGroup: 'MODEL'}),
  'max-tokens': Flags.integer({helpValue: 'N', description: 'Maximum tokens generated per model call.', min: 1, default: 512, helpGroup: 'GENERATION'}),
  temperature: number({helpValue: 'T', description: 'Sampling temperature; 0 is greedy and deterministic.', default: 0, helpGroup: 'GENERATION'}),
  seed: Flags.integer({helpValue: 'N', description: 'Sampling seed (matters when --temperature > 0).', helpGroup: 'GENERATION'}),
  input: Flags.string({char: 'i', description: 'Input file, - for stdin.', default: '-', helpValue: 'FILE', helpGroup: 'INPUT/OUTPUT'}),
  output: Flags.string({char: 'o', description: 'Output file, - for stdout.', default: '-', helpValue: 'FILE', helpGroup: 'INPUT/OUTPUT'}),
  'input-format': Flags.option({
    options: ['auto', 'ndjson', 'text'] as const,
    default: 'auto' as const,
    description: 'auto: NDJSON when the input starts with "{", else the whole input is one text document.',
    helpGroup: 'INPUT/OUTPUT',
  })(),
  format: Flags.option({
    options: ['ndjson', 'text'] as const,
    description: 'Output format. [default: ndjson for NDJSON input; text for a text document (ner, soap: only when stdout is a terminal)]',
    helpGroup: 'INPUT/OUTPUT',
  })(),
  field: Flags.string({helpValue: 'NAME', description: 'Input field holding the text.', default: 'text', helpGroup: 'INPUT/OUTPUT'}),
  'id-field': Flags.string({helpValue: 'NAME', description: 'Input field holding the record id.', default: 'id', helpGroup: 'INPUT/OUTPUT'}),
  'fail-fast': Flags.boolean({description: 'Stop at the first failed record (default: write an error record and go on, exit 9 at the end).', helpGroup: 'INPUT/OUTPUT'}),
  resume: Flags.string({
    description: 'Skip records whose id already has a line in FILE (the output of an earlier, perhaps interrupted, run). With -o FILE the same file is appended to.',
    helpValue: 'FILE',
    helpGroup: 'INPUT/OUTPUT',
  }),
  audit: Flags.string({
    description: 'Append one line per record to FILE: ids, input and model sha256, parameters, timings, token counts, status. Never text.',
    helpValue: 'FILE',
    helpGroup: 'INPUT/OUTPUT',
  }),
}
