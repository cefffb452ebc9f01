// What one applied change did, named once: a succeeded action counts as the action the plan
// made (a replace the backend reports as `updated` was still a replace), and the tally of a run
// is computed from those outcomes alone. The recorder's event types and every verb's summary
// read these two functions; nothing else counts.

import type { ApplyStatus } from '../backends/backend.js';
import type { Change } from '../model/resources.js';

export type Settled = 'created' | 'updated' | 'replaced' | 'deleted';

const BY_ACTION: Record<Exclude<Change['action'], 'noop'>, Settled> = {
  create: 'created',
  update: 'updated',
  replace: 'replaced',
  delete: 'deleted',
};

/**
 * What a change that did not fail amounts to: its planned action in the past tense. `undefined`
 * for a failure, a noop, and a non-delete the backend found already in place (`unchanged`).
 */
export function settledAs(action: Change['action'], status: ApplyStatus | 'skipped' | 'held'): Settled | undefined {
  if (action === 'noop' || status === 'failed' || status === 'skipped' || status === 'held') return undefined;
  if (status === 'unchanged' && action !== 'delete') return undefined;
  return BY_ACTION[action];
}

/** The tally of one apply run; `unchanged` counts acting changes a backend found already done. */
export interface ApplyTally {
  created: number;
  updated: number;
  replaced: number;
  deleted: number;
  unchanged: number;
  held: number;
  failed: number;
  skipped: number;
  /** Acting changes in the run (held and skipped included). */
  total: number;
}

export function tallyOutcomes(
  results: readonly { action: Change['action']; status: ApplyStatus | 'skipped' | 'held' }[],
): ApplyTally {
  const t: ApplyTally = {
    created: 0,
    updated: 0,
    replaced: 0,
    deleted: 0,
    unchanged: 0,
    held: 0,
    failed: 0,
    skipped: 0,
    total: 0,
  };
  for (const r of results) {
    if (r.action === 'noop') continue;
    t.total += 1;
    const settled = settledAs(r.action, r.status);
    if (settled) t[settled] += 1;
    else if (r.status === 'unchanged') t.unchanged += 1;
    else if (r.status === 'held' || r.status === 'failed' || r.status === 'skipped') t[r.status] += 1;
  }
  return t;
}
