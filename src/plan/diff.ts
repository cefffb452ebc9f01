// Pairs desired and observed resources by address and assembles the plan: one change per
// address from the owning backend's pure plan(), state-aware drift reasons, approvals, targets,
// summary and fingerprints. PURE: no I/O, no clock (createdAt is passed in).

import type { Backend } from '../backends/backend.js';
import { defaultResourcePlan } from '../model/resource-plan.js';
import { warning, type Diagnostic } from '../diag/diagnostic.js';
import type { ApprovalRecord, RuntimeRecord } from '../state/store.js';
import { hashOf } from '../model/canonical.js';
import { SENSITIVE } from '../model/fields.js';
import type { Change, DesiredResource, Endpoint, ObservedResource, Plan, PlanSummary } from '../model/resources.js';

export interface DiffInput {
  stack: string;
  desired: readonly DesiredResource[];
  observed: readonly ObservedResource[];
  /** What the state store remembers for the stack. */
  state: readonly RuntimeRecord[];
  /** Backend instances by backend name (only plan() is called). */
  backends: Readonly<Record<string, Pick<Backend, 'plan'>>>;
  configFingerprint: string;
  createdAt: string;
  /** Restrict the plan to these addresses and what they depend on. */
  targets?: readonly string[];
  /** Recorded approvals; an approved, unexpired one for the same spec hash satisfies a change. */
  approvals?: readonly ApprovalRecord[];
  /** Plan-level diagnostics (backend validation, …). */
  diagnostics?: readonly Diagnostic[];
  /** Addresses of runtimes the config keeps with `enabled: false`: their deletes say so. */
  disabled?: readonly string[];
  /** Deletes remove the runtimes' data volumes too (`destroy --delete-volumes`); else they stay. */
  deleteVolumes?: boolean;
  /** A destroy plan: it also names the data volumes earlier deletes kept. */
  destroy?: boolean;
}

/** sha256 of what the plan was computed against: each observed address, backend, hash, status. */
export function liveFingerprint(observed: readonly ObservedResource[]): string {
  const rows = observed
    .map((o) => [o.address, o.backend, o.specHash ?? '', o.status === 'starting' ? 'running' : o.status])
    .sort((a, b) => (a.join('\0') < b.join('\0') ? -1 : 1));
  return hashOf(rows);
}

export function summarize(changes: readonly Change[]): PlanSummary {
  const s: PlanSummary = { create: 0, update: 0, replace: 0, delete: 0, noop: 0 };
  for (const c of changes) s[c.action] += 1;
  return s;
}

export function hasChanges(plan: Plan): boolean {
  const s = plan.summary;
  return (
    s.create + s.update + s.replace + s.delete > 0 || (plan.forget?.length ?? 0) > 0 || (plan.refresh?.length ?? 0) > 0
  );
}

const shortHash = (h: string): string => h.replace(/^sha256:/, '').slice(0, 12);

function endpointText(e: Endpoint | undefined): string {
  if (!e) return 'none';
  if (e.url) return e.url;
  if (e.attach)
    return e.attach.kind === 'docker' ? `container ${e.attach.containerId.slice(0, 12)}` : e.attach.socketPath;
  return e.transport;
}

/**
 * Why the state record of a resource the backend runs as configured is out of date (a state
 * write that failed, a record edited by hand), or undefined when it is current. The backend is
 * the truth: the gateway routes by the record, so a stale endpoint must be shown and rewritten.
 */
export function staleRecord(rec: RuntimeRecord, o: ObservedResource): string | undefined {
  const parts: string[] = [];
  if (o.specHash && rec.specHash !== o.specHash)
    parts.push(`spec: state records ${shortHash(rec.specHash)}, the backend runs ${shortHash(o.specHash)}`);
  const was = endpointText(rec.endpoint);
  const is = endpointText(o.endpoint);
  // A record without an endpoint predates endpoint recording; only a different one misroutes.
  if (rec.endpoint && o.endpoint && was !== is) parts.push(`endpoint: state records ${was}, the backend serves ${is}`);
  return parts.length ? parts.join('; ') : undefined;
}

/**
 * An approval, once given, stands for its spec hash: `expiresAt` is the deadline for deciding a
 * pending request, not a lifetime of the decision (else a self-healing host would hold the
 * restart of an approved runtime once the request's deadline passed).
 */
function approvedFor(approvals: readonly ApprovalRecord[], d: DesiredResource): boolean {
  return approvals.some((a) => a.address === d.address && a.specHash === d.specHash && a.status === 'approved');
}

/** Sensitive fields never carry values into a plan, whatever a backend returned. */
function scrubFields(change: Change, secretNames: ReadonlySet<string>): void {
  for (const f of change.fields) {
    const name = f.path.startsWith('env.') ? f.path.slice(4) : undefined;
    if (f.sensitive || f.path.startsWith('secretDigests') || (name && secretNames.has(name))) {
      f.sensitive = true;
      if (f.before !== undefined) f.before = SENSITIVE;
      if (f.after !== undefined) f.after = SENSITIVE;
    }
  }
}

/**
 * Says in the plan what happens to a runtime's data volumes: a delete keeps them unless
 * `deleteVolumes` (and the apply obeys Change.deleteVolumes), a create takes kept ones over.
 */
function volumeSteps(change: Change, opts: { kept?: string[]; deleteVolumes: boolean }): void {
  const volumes = opts.kept ?? change.observed?.volumes ?? [];
  if (volumes.length === 0) return;
  if (change.action === 'delete') {
    change.deleteVolumes = opts.deleteVolumes;
    change.steps = [
      ...(change.steps ?? []),
      ...volumes.map((v) =>
        opts.deleteVolumes ? `delete data volume ${v}` : `keep data volume ${v} (destroy --delete-volumes removes it)`,
      ),
    ];
  } else if (opts.kept && change.action === 'create') {
    change.steps = [...(change.steps ?? []), ...volumes.map((v) => `reuse kept data volume ${v}`)];
  }
}

export function diffPlan(input: DiffInput): Plan {
  const desiredBy = new Map(input.desired.map((d) => [d.address, d]));
  const observedBy = new Map<string, ObservedResource>();
  for (const o of input.observed) {
    const prev = observedBy.get(o.address);
    // Prefer the copy on the backend the config wants; a second copy elsewhere is a move.
    if (!prev || desiredBy.get(o.address)?.backend === o.backend) observedBy.set(o.address, o);
  }
  const stateBy = new Map(input.state.map((r) => [r.address, r]));
  const diagnostics: Diagnostic[] = [...(input.diagnostics ?? [])];
  const changes: Change[] = [];
  const forget: string[] = [];
  /** Data volumes left by earlier deletes, which this plan keeps as well. */
  const keptBefore: string[] = [];
  const refresh: Array<{ address: string; why: string }> = [];

  const addresses = [...new Set([...desiredBy.keys(), ...observedBy.keys(), ...stateBy.keys()])].sort();
  for (const address of addresses) {
    const d = desiredBy.get(address);
    let o = observedBy.get(address);
    const rec = stateBy.get(address);
    // Only data volumes kept by an earlier delete: a new runtime of that name takes them over
    // (a create), and without one they stay out of the plan unless volumes are to be deleted.
    const kept = o?.volumesOnly ? o.volumes : undefined;
    if (kept && (d || !input.deleteVolumes)) {
      o = undefined;
      if (!d) {
        keptBefore.push(...kept);
        if (rec) forget.push(address);
        continue;
      }
    }
    if (!d && !o) {
      if (rec && !(rec.backend in input.backends)) {
        diagnostics.push(
          warning(
            'state.backend-removed',
            `${address} was recorded on backend ${rec.backend}, which is no longer configured; it is dropped from state and not deleted`,
            {
              address,
              detail: `Remove it by hand from ${rec.backend}, or put the backend back into the config and run destroy.`,
            },
          ),
        );
      }
      if (rec) forget.push(address);
      continue;
    }
    let change: Change;
    if (d && o && o.backend !== d.backend) {
      change = {
        address,
        action: 'replace',
        reason: 'replace:backend-changed',
        backend: d.backend,
        backendType: d.backendType,
        fields: [{ path: 'backend', before: o.backend, after: d.backend, forcesReplace: true }],
        desired: d,
        observed: o,
        dependsOn: d.dependsOn,
        diagnostics: [],
      };
    } else {
      const owner = input.backends[(d ?? o)!.backend];
      if (!owner) throw new Error(`no backend instance for ${(d ?? o)!.backend}`);
      // A recorded stand-in holds the applied spec, not the backend's live values: compare specs.
      change = o?.recorded ? defaultResourcePlan(d, o, { inPlace: () => true }) : owner.plan(d, o);
    }
    change = { ...change, address, desired: d, observed: o, fields: change.fields.map((f) => ({ ...f })) };
    if (d) {
      change.backend = d.backend;
      change.backendType = d.backendType;
    } else if (rec) {
      change.backendType = rec.backendType as Change['backendType'];
    }
    if (change.action === 'create' && rec && change.reason === 'create:new') change.reason = 'create:drift-missing';
    if (change.action === 'delete' && !d && input.disabled?.includes(address)) change.reason = 'delete:disabled';
    change.dependsOn = d ? [...d.dependsOn] : [...(rec?.dependsOn ?? [])];
    const seen = new Set<string>();
    change.diagnostics = [...(d?.diagnostics ?? []), ...change.diagnostics].filter((x) => {
      const k = `${x.code}\0${x.summary}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    if (d?.approval && (change.action === 'create' || change.action === 'update' || change.action === 'replace')) {
      change.approval = d.approval;
      // Repairing drift of the spec that state records as applied (a killed or removed container)
      // changes nothing a reviewer would see; approval gates new specs only.
      const alreadyApplied = rec?.specHash === d.specHash;
      change.needsApproval = !alreadyApplied && !approvedFor(input.approvals ?? [], d);
    } else {
      delete change.approval;
      delete change.needsApproval;
    }
    scrubFields(change, new Set(Object.keys(d?.secretEnv ?? {}).concat(Object.keys(d?.spec.secretDigests ?? {}))));
    volumeSteps(change, { kept, deleteVolumes: input.deleteVolumes === true });
    changes.push(change);
    if (change.action === 'noop' && rec && o) {
      const why = staleRecord(rec, o);
      if (why) refresh.push({ address, why });
    }
  }

  let kept = changes;
  let targets: string[] | undefined;
  if (input.targets && input.targets.length) {
    const closure = new Set<string>();
    const visit = (a: string): void => {
      if (closure.has(a)) return;
      closure.add(a);
      for (const dep of desiredBy.get(a)?.dependsOn ?? []) visit(dep);
    };
    input.targets.forEach(visit);
    targets = [...closure].sort();
    kept = changes.filter((c) => closure.has(c.address));
  }
  const keptForget = targets ? forget.filter((a) => targets!.includes(a)) : forget;

  const plan: Plan = {
    formatVersion: 1,
    stack: input.stack,
    createdAt: input.createdAt,
    configFingerprint: input.configFingerprint,
    liveFingerprint: liveFingerprint(input.observed),
    changes: kept,
    diagnostics,
    summary: summarize(kept),
  };
  if (keptForget.length) plan.forget = keptForget;
  if (input.destroy && keptBefore.length)
    plan.diagnostics.push(
      warning('plan.volumes-kept', `Data volumes kept by an earlier delete stay: ${keptBefore.sort().join(', ')}`, {
        detail: 'They hold the data of allowed_mounts; `contextforge destroy --delete-volumes` removes them.',
      }),
    );
  const keptRefresh = targets ? refresh.filter((r) => targets!.includes(r.address)) : refresh;
  if (keptRefresh.length) plan.refresh = keptRefresh;
  if (targets) plan.targets = targets;
  return plan;
}
