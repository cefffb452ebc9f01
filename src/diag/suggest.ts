// "Did you mean" suggestions: picks the closest candidate to a misspelt key or name by optimal
// string alignment distance (Damerau-Levenshtein with adjacent transpositions). Pure; it knows
// nothing about configs, only strings.

/** Edit distance counting insertions, deletions, substitutions and adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = [];
  for (let i = 0; i < rows; i++) {
    d.push(new Array<number>(cols).fill(0));
    d[i][0] = i;
  }
  for (let j = 0; j < cols; j++) d[0][j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, d[i - 2][j - 2] + 1);
      }
      d[i][j] = v;
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate closest to `word`, or undefined when none is close enough to be a plausible
 * typo (distance at most a third of the longer word, minimum 1; case differences count 0).
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const cl = c.toLowerCase();
    const dist = cl === lower ? 0 : editDistance(lower, cl);
    const limit = Math.max(1, Math.floor(Math.max(word.length, c.length) / 3));
    if (dist <= limit && dist < bestDist) {
      best = c;
      bestDist = dist;
    }
  }
  return best;
}
