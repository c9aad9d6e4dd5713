import {UsageError} from '../errors/index.js'

/** One share of an input: the lines whose 0-based line index modulo `count` is `index`. */
export interface ShardSpec {
  /** Which share, from 0 to `count - 1` (a Slurm array's `$SLURM_ARRAY_TASK_ID`). */
  index: number
  /** How many shares the input is cut into (the array's size). */
  count: number
}

/**
 * Parses `I/N` (e.g. `--shard 3/16`): whole numbers with 0 ≤ I < N. Anything else is a usage error (exit 2).
 */
export function parseShard(input: string): ShardSpec {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(input)
  const index = Number(match?.[1])
  const count = Number(match?.[2])
  if (!match || count < 1 || index >= count) {
    throw new UsageError(`Expected a shard I/N with 0 ≤ I < N, e.g. 0/4, but received: ${input}`, {hint: 'Under a Slurm array: --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT".'}, 'E_BAD_SHARD')
  }

  return {index, count}
}

/**
 * Whether the input line with this 1-based number belongs to the shard. Lines are dealt round-robin (line index
 * modulo N), so a shard needs no count of the input first and reads stdin as well as a file; blank lines keep their
 * number, so every shard of the same input agrees on which line is whose.
 */
export function inShard(line: number, shard: ShardSpec): boolean {
  return (line - 1) % shard.count === shard.index
}

/** The records of `records` that belong to `shard` (see {@link inShard}), in order; the others are read and dropped. */
export async function* selectShard<T extends {line: number}>(records: AsyncIterable<T>, shard: ShardSpec): AsyncGenerator<T> {
  for await (const record of records) if (inShard(record.line, shard)) yield record
}
