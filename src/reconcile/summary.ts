// The closing lines of a pass, worded once for apply, destroy, up and watch: what the run did
// (from the engine's tally of outcomes, never from the plan), what failed, what is held for
// approval. Verbs add their own hints after these lines; they never count again.

import type { ApplyResult } from '../apply/engine.js';
import { deletesVolumes, type Plan } from '../model/resources.js';

export interface SummaryInput {
  /** The plan applied: names the data volumes its deletes kept. */
  plan?: Pick<Plan, 'changes'>;
  result: Pick<ApplyResult, 'tally' | 'held' | 'exitCode' | 'results' | 'diags'>;
  destroy?: boolean;
  /** False when the plan had nothing to do. */
  changed: boolean;
}

/** The summary of one applied pass, one line per fact. */
export function summaryLines(input: SummaryInput): string[] {
  const { tally, held, exitCode, results } = input.result;
  const verb = input.destroy ? 'Destroy' : 'Apply';
  const lines: string[] = [];
  if (exitCode === 1) {
    lines.push(
      `${verb} failed: ${tally.failed + tally.skipped} of ${tally.total} actions did not complete; ${
        input.result.diags.some((d) => d.code === 'state.write-failed')
          ? 'the state store could not record every outcome (see above), so do not trust it until the next apply succeeds'
          : 'state records what did'
      }. Fix the cause and run it again.`,
    );
  } else if (!input.changed) {
    lines.push(input.destroy ? 'Nothing to destroy.' : 'No changes. The live state matches the configuration.');
  } else if (input.destroy) {
    lines.push(`Destroy complete! Resources: ${tally.deleted} destroyed.`);
  } else {
    const replaced = tally.replaced ? `${tally.replaced} replaced, ` : '';
    lines.push(
      `Apply complete! Resources: ${tally.created} created, ${tally.updated} updated, ${replaced}${tally.deleted} destroyed.`,
    );
  }
  // Deletes keep their data volumes unless the plan said otherwise (destroy --delete-volumes),
  // and always under a watching host.
  const deleted = new Set(results.filter((r) => r.status === 'deleted').map((r) => r.address));
  const kept = (input.plan?.changes ?? []).flatMap((c) =>
    c.action === 'delete' && !deletesVolumes(c) && deleted.has(c.address) ? (c.observed?.volumes ?? []) : [],
  );
  if (kept.length)
    lines.push(
      `Kept ${kept.length} data volume(s): ${kept.join(', ')}\n  \`contextforge destroy --delete-volumes\` removes them.`,
    );
  if (held.length) lines.push(`${held.length} change(s) held for approval: ${held.join(', ')}`);
  return lines;
}
