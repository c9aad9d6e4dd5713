import {once} from 'node:events'
import {createWriteStream} from 'node:fs'
import {chmod, readFile} from 'node:fs/promises'

import {randomKey, type DeidKey, type DeidMode} from '../../deid/index.js'
import {ConfigError, UsageError} from '../../errors/index.js'
import type {MapEntry} from '../../tasks/index.js'

/** The environment variable holding the deid key (see ENV_VARS in paths). */
export const DEID_KEY_ENV = 'JSL_MED_DEID_KEY'

/** Options of {@link resolveDeidKey}. */
export interface ResolveDeidKeyOptions {
  mode: DeidMode
  /** A file whose contents (surrounding whitespace trimmed) are the key; wins over the environment. */
  keyFile?: string
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv
}

/** The key of a deid run and where it came from (never the key itself in a message). */
export interface ResolvedDeidKey {
  key: DeidKey
  source: 'env' | 'file' | 'random'
}

/**
 * The key of surrogates, date offsets and hashes: `keyFile`'s contents, else `JSL_MED_DEID_KEY`, else (not for
 * `hash`, whose hashes must link runs) a random key for this run. A key is never a flag value: flags end up in shell
 * history and process lists. Keys shorter than 16 characters are refused.
 */
export async function resolveDeidKey(options: ResolveDeidKeyOptions): Promise<ResolvedDeidKey> {
  const env = options.env ?? process.env
  let text: string | undefined
  let source: ResolvedDeidKey['source'] = 'random'
  if (options.keyFile !== undefined) {
    try {
      text = (await readFile(options.keyFile, 'utf8')).trim()
    } catch (error) {
      throw new ConfigError(`Cannot read the key file ${options.keyFile}: ${(error as NodeJS.ErrnoException).code}`, {cause: error, hint: 'Check the path given to --key-file.'}, 'E_KEY_FILE')
    }

    source = 'file'
  } else if (env[DEID_KEY_ENV]) {
    text = env[DEID_KEY_ENV]!.trim()
    source = 'env'
  }

  if (text === undefined) {
    if (options.mode === 'hash') {
      throw new UsageError('--mode hash needs a key', {
        hint: `Pass --key-file FILE (e.g. \`openssl rand -hex 32 > deid.key; chmod 600 deid.key\`) or set ${DEID_KEY_ENV}; a key is never taken as a flag value.`,
      }, 'E_NO_KEY')
    }

    return {key: randomKey(), source}
  }

  if (text.length < 16) {
    throw new UsageError(`the deid key from ${source === 'file' ? 'the key file' : DEID_KEY_ENV} is too short (${text.length} characters)`, {
      hint: 'Use at least 16 characters, e.g. `openssl rand -hex 32`.',
    }, 'E_KEY_SHORT')
  }

  return {key: Buffer.from(text, 'utf8'), source}
}

/** The open re-identification map of a run. */
export interface ReidentificationMap {
  /** Appends one line per replacement: record id or line, patient, category, offsets, original, replacement. */
  write(entry: MapEntry): void
  close(): Promise<void>
}

/**
 * Opens the re-identification map (`--map FILE`): NDJSON, one line per replacement. The file is created with mode
 * 0600 and set to 0600 when it exists already, before anything is written. `append` (a resumed run) keeps earlier lines.
 */
export async function openReidentificationMap(path: string, options: {append?: boolean} = {}): Promise<ReidentificationMap> {
  const stream = createWriteStream(path, {flags: options.append ? 'a' : 'w', mode: 0o600})
  try {
    await once(stream, 'open')
    await chmod(path, 0o600)
  } catch (error) {
    stream.destroy()
    throw new ConfigError(`Cannot write the map file ${path}: ${(error as NodeJS.ErrnoException).code}`, {cause: error, hint: 'Check the path given to --map.'}, 'E_MAP_FILE')
  }

  // Lines go out without waiting for drain: they are a fraction of the records, whose writer does wait.
  return {
    write({ref, patient, replacements}) {
      for (const {category, start, end, original, replacement} of replacements) {
        const where = ref.id === undefined ? {line: ref.line} : {id: ref.id}
        stream.write(JSON.stringify({...where, ...(patient === undefined ? {} : {patient}), category, start, end, original, replacement}) + '\n')
      }
    },
    async close() {
      stream.end()
      await once(stream, 'finish')
    },
  }
}
