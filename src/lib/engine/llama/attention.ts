import {ConfigError} from '../../errors/index.js'

/** The environment variable that overrides {@link chooseFlashAttention}. */
export const FLASH_ATTENTION_ENV = 'JSL_MED_FLASH_ATTENTION'

/**
 * Flash attention for a task context: off on the CPU, llama.cpp's `auto` on a GPU, unless `JSL_MED_FLASH_ATTENTION`
 * says `auto`, `on` or `off` (anything else: a ConfigError, exit 3). Why off on the CPU: jsl-med's tasks decode a few
 * tokens at a time deep into a context (a shared system prompt of hundreds of tokens, then the record, then the
 * output), where llama.cpp's CPU flash attention kernel was slower here: tg32 at depth 768 62–64 vs 52–59 t/s
 * (llama-bench), pp48 at depth 768 199 vs 146 t/s, and `ner -j 4` faster in 3 of 3 interleaved rounds (taken at a
 * load of 4.5–6.6 from other work, so a hint, not a figure). Only a large batch at the start of a context gains from
 * it (pp512 at depth 0), which is what `bench --tasks speed` measures, so bench keeps `auto` like llama-bench.
 */
export function chooseFlashAttention(gpu: string | false, env: NodeJS.ProcessEnv = process.env): boolean | 'auto' {
  const value = env[FLASH_ATTENTION_ENV]?.trim().toLowerCase()
  if (!value) return gpu === false ? false : 'auto'
  if (value === 'auto') return 'auto'
  if (value === 'on' || value === '1' || value === 'true') return true
  if (value === 'off' || value === '0' || value === 'false') return false
  throw new ConfigError(`${FLASH_ATTENTION_ENV}=${env[FLASH_ATTENTION_ENV]} is not auto, on or off`, {hint: `Unset ${FLASH_ATTENTION_ENV} (off on the CPU, auto on a GPU), or set it to auto, on or off.`})
}
