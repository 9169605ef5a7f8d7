/**
 * "Did you mean": the closest known word by edit distance (case-insensitive),
 * when it is close enough to be a typo — at most a third of the word's
 * length (at least 1) and never the whole word.
 *
 * @example
 * suggest('objectve', ['objective', 'probe']) // 'objective'
 * suggest('t', ['s'])                         // undefined
 */
export function suggest(word: string, known: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  }
  const close = bestDistance <= Math.max(1, Math.floor(word.length / 3)) && bestDistance < word.length;
  return best !== undefined && close ? best : undefined;
}

/** Levenshtein distance, one row of memory. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
