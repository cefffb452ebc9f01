// The default per-resource planning rule that backends may reuse in their pure plan(): create
// when missing, delete when unwanted, repair stopped or hand-edited resources, and replace or
// update when the spec hash moved. Backends pass which fields they can change in place.

import { diffFields, reasonSlugs, type DiffFieldsOptions } from './fields.js';
import type { Change, DesiredResource, ObservedResource, Reason } from './resources.js';

export interface ResourcePlanOptions {
  /** Paths a backend can change without replacing (Code Engine: most; Docker: none). */
  inPlace?: (path: string) => boolean;
  /** Restart a stopped resource in place instead of replacing it. */
  restartInPlace?: boolean;
  /** Field comparison scope for live values (default `all`: live holds the full spec). */
  scope?: DiffFieldsOptions['scope'];
  ignore?: string[];
}

const STOPPED = new Set(['stopped', 'exited', 'failed', 'missing']);

export function defaultResourcePlan(
  desired: DesiredResource | undefined,
  observed: ObservedResource | undefined,
  options: ResourcePlanOptions = {},
): Change {
  const ref = desired ?? observed;
  if (!ref) throw new Error('defaultResourcePlan needs a desired or an observed resource');
  const base = {
    address: ref.address,
    backend: desired?.backend ?? observed!.backend,
    backendType: desired?.backendType ?? ('docker' as const),
    desired,
    observed,
    dependsOn: desired?.dependsOn ?? [],
    diagnostics: [],
  };
  if (!desired) return { ...base, action: 'delete', reason: 'delete:not-in-config', fields: [] };
  if (!observed) {
    return {
      ...base,
      action: 'create',
      reason: 'create:new',
      fields: diffFields(desired.spec, {}, { forcesReplace: () => false }),
    };
  }
  const forcesReplace = (p: string): boolean => !(options.inPlace?.(p) ?? false);
  const fieldOpts: DiffFieldsOptions = { scope: options.scope ?? 'all', forcesReplace, ignore: options.ignore };
  const fields = diffFields(desired.spec, observed.live, fieldOpts);
  const kind = (fs: typeof fields): 'update' | 'replace' => (fs.some((f) => f.forcesReplace) ? 'replace' : 'update');
  if (observed.specHash !== desired.specHash) {
    const action = fields.length ? kind(fields) : 'replace';
    const reasons = (fields.length ? reasonSlugs(fields) : ['spec-changed']).map((s) => `${action}:${s}` as Reason);
    return { ...base, action, reason: reasons[0], ...(reasons.length > 1 ? { reasons } : {}), fields };
  }
  if (fields.length) {
    // The recorded hash matches the config but the live values do not: edited by hand.
    const action = kind(fields);
    return { ...base, action, reason: `${action}:drift-edited` as Reason, fields };
  }
  if (STOPPED.has(observed.status)) {
    const action = options.restartInPlace ? 'update' : 'replace';
    return {
      ...base,
      action,
      reason: `${action}:drift-stopped` as Reason,
      fields: [{ path: 'status', before: observed.status, after: 'running', forcesReplace: action === 'replace' }],
    };
  }
  return { ...base, action: 'noop', reason: 'noop:up-to-date', fields: [] };
}
