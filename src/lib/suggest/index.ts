// Did-you-mean: the names closest to a mistyped one (commands, flags, model ids), by edit distance.

/**
 * The optimal-string-alignment distance between two strings: insertions, deletions, substitutions and swaps of
 * two adjacent characters each cost 1, so `stlye` is 1 from `style` (plain Levenshtein says 2). Case-sensitive.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0
  if (a.length === 0) return b.length
  if (b.length === 0) return a.length
  let previous2: number[] = []
  let previous = Array.from({length: b.length + 1}, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, previous2[j - 2] + 1)
      current.push(best)
    }

    previous2 = previous
    previous = current
  }

  return previous[b.length]
}

/** Options of {@link suggestNames}. */
export interface SuggestOptions {
  /** At most this many names; default 3. */
  max?: number
  /**
   * The largest distance still worth suggesting for an input of this length; default about a third of its
   * length (1 for up to 5 characters, 2 up to 8, then 3), so that `hw` never suggests `bench`.
   */
  maxDistance?: (length: number) => number
}

/**
 * The candidates nearest to `input` (case-insensitive): those at the smallest distance found, alphabetically, at
 * most `max`, and only within `maxDistance` (git's rule: the best, not every near one). A candidate that starts
 * with an input of 3 or more characters (`summ` → `summarize`) is close too, after every one within the distance.
 * Empty when nothing is close: a wild guess helps less than the list.
 */
export function suggestNames(input: string, candidates: Iterable<string>, options: SuggestOptions = {}): string[] {
  const needle = input.trim().toLowerCase()
  if (needle === '') return []
  const limit = (options.maxDistance ?? defaultMaxDistance)(needle.length)
  const scored = new Map<string, number>()
  for (const candidate of candidates) {
    const name = candidate.toLowerCase()
    if (name === needle || scored.has(candidate)) continue
    const distance = editDistance(needle, name)
    if (distance <= limit) scored.set(candidate, distance)
    // A prefix is close too, but ranks after every near spelling: `model` means `models` before `models:rm`.
    else if (needle.length >= 3 && name.startsWith(needle)) scored.set(candidate, limit + 0.5)
  }

  const best = Math.min(...scored.values())
  return [...scored]
    .filter(([, distance]) => distance === best)
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(0, options.max ?? 3)
    .map(([name]) => name)
}

function defaultMaxDistance(length: number): number {
  return length <= 5 ? 1 : length <= 8 ? 2 : 3
}

/** `Did you mean a?` or `Did you mean a, b or c?`, or '' for no names. */
export function didYouMean(names: readonly string[]): string {
  if (names.length === 0) return ''
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`
  return `Did you mean ${list}?`
}
