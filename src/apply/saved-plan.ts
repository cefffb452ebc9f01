// Saved plans (`plan -out FILE`, `apply FILE`): the plan JSON with the config and live
// fingerprints, no secret values. Applying re-loads the config (for secret values), re-observes,
// and refuses when either fingerprint moved; this module holds the checks and the file I/O.

import { readFileSync, writeFileSync } from 'node:fs';
import { error, type Diagnostic, type Result } from '../diag/diagnostic.js';
import type { PlanDocument } from '../generated/plan.js';
import { toPlanDocument } from '../plan/render-json.js';
import type { Redactor } from '../plan/redact.js';
import type { Plan } from '../model/resources.js';

export function writeSavedPlan(
  file: string,
  plan: Plan,
  options: { configPath: string; redact: Redactor; contextforgeVersion?: string },
): void {
  const doc = toPlanDocument(plan, {
    configPath: options.configPath,
    redact: options.redact,
    contextforgeVersion: options.contextforgeVersion,
  });
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
}

export function readSavedPlan(file: string): Result<PlanDocument> {
  let doc: PlanDocument;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as PlanDocument;
  } catch (err) {
    return {
      diags: [
        error('plan.unreadable', `cannot read saved plan ${file}: ${(err as Error).message}`, {
          detail: 'Pass a file written by `contextforge plan -out FILE`.',
        }),
      ],
    };
  }
  if (!doc || doc.formatVersion !== 1 || typeof doc.liveFingerprint !== 'string' || !Array.isArray(doc.changes)) {
    return {
      diags: [
        error('plan.unsupported', `${file} is not a contextforge plan of format version 1`, {
          detail: 'Re-create it with `contextforge plan -out FILE` using this version of contextforge.',
        }),
      ],
    };
  }
  return { value: doc, diags: [] };
}

/**
 * Refusals for a saved plan that no longer matches the config or the live state. `replan` is
 * the command that makes a new one (with the -f of the config it was made from).
 */
export function checkSavedPlan(
  saved: PlanDocument,
  fresh: Plan,
  file: string,
  replan = `contextforge plan -out ${file}`,
): Diagnostic[] {
  const redo = `Run \`${replan}\` again, review it, and apply the new plan.`;
  if (saved.stack !== fresh.stack) {
    return [
      error('plan.wrong-stack', `saved plan is for stack ${saved.stack}, but the config is stack ${fresh.stack}`, {
        detail: 'Pass the config the plan was made from with -f.',
      }),
    ];
  }
  if (saved.configFingerprint !== fresh.configFingerprint) {
    return [
      error('plan.config-changed', 'saved plan is stale: the configuration changed since it was made', {
        detail: redo,
      }),
    ];
  }
  if (saved.liveFingerprint !== fresh.liveFingerprint) {
    return [
      error('plan.stale', 'saved plan is stale: the live state changed since it was made', {
        detail: `Something (another apply, or a change by hand) touched the stack's resources. ${redo}`,
      }),
    ];
  }
  const key = (c: { address: string; action: string; specHash?: string }): string =>
    `${c.address} ${c.action} ${c.action === 'delete' ? '' : (c.specHash ?? '')}`;
  const a = saved.changes.map(key).sort().join('\n');
  const b = fresh.changes
    .map((c) => key({ address: c.address, action: c.action, specHash: c.desired?.specHash }))
    .sort()
    .join('\n');
  if (a !== b)
    return [
      error('plan.stale', 'saved plan is stale: the changes it would make differ from what it recorded', {
        detail: redo,
      }),
    ];
  return [];
}
