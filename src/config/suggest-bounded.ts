// "Did you mean" with bounded work, for the config front end: a hostile config can hold a
// megabyte-long name or tens of thousands of dangling references, and an edit-distance table
// per pair would then take minutes and gigabytes. The closeness rule stays in diag/suggest.ts.

import { didYouMean } from '../diag/suggest.js';

/** Names longer than this get no suggestion (no real key or name is this long). */
export const MAX_SUGGEST_NAME = 64;

/** Edit-distance cells one Suggester may compute in total (a few tens of milliseconds). */
export const SUGGEST_BUDGET_CELLS = 4_000_000;

/**
 * One budget for the suggestions of one pass (a schema check, the semantic checks). Once it
 * is spent the remaining diagnostics simply carry no suggestion.
 */
export class Suggester {
  private left: number;

  constructor(cells = SUGGEST_BUDGET_CELLS) {
    this.left = cells;
  }

  suggest(word: string, candidates: Iterable<string>): string | undefined {
    if (word.length === 0 || word.length > MAX_SUGGEST_NAME || this.left <= 0) return undefined;
    const near: string[] = [];
    let cost = 0;
    for (const c of candidates) {
      // didYouMean accepts at most a third of the longer length as distance, and the distance
      // is at least the difference in length: candidates failing that cannot win.
      const longer = Math.max(word.length, c.length);
      if (c.length > MAX_SUGGEST_NAME || Math.abs(c.length - word.length) > Math.max(1, Math.floor(longer / 3)))
        continue;
      near.push(c);
      cost += (word.length + 1) * (c.length + 1);
      if (cost > this.left) {
        this.left = 0;
        return undefined;
      }
    }
    this.left -= cost;
    return near.length ? didYouMean(word, near) : undefined;
  }
}

/** A single bounded suggestion (for callers with one name to check). */
export function suggestName(word: string, candidates: Iterable<string>): string | undefined {
  return new Suggester().suggest(word, candidates);
}
