// Tool-surface discovery for the plan: for each runtime the plan creates, updates or replaces
// whose resolved artifact differs from the one contextforge.lock pins, read the new artifact's
// surface in a sandbox and diff it against the pinned surface. Runs no sandbox when the lock
// is current. The sandbox itself is a backend's (backends/sandbox.ts); this decides when.

import type { ArtifactPin, Surface } from '../model/tool-surface.js';
import { diffSurface, emptySurface, sameArtifact, surfaceDiffEmpty } from '../model/tool-surface.js';
import type { ApprovalSettings } from '../generated/config.js';
import { surfaceChangeApproval, type ApprovalSubject } from './approval.js';
import type { DesiredResource, Plan, SurfaceReport } from '../model/resources.js';
import type { LockFile } from '../lock/file.js';

export interface SurfaceInput {
  plan: Plan;
  desired: readonly DesiredResource[];
  lock?: LockFile;
  pins: Readonly<Record<string, ArtifactPin>>;
  /** Reads a surface in a sandbox; undefined with --no-discover. */
  discover?: (d: DesiredResource) => Promise<{ surface?: Surface; note?: string }>;
  /** Sandboxes running at once; default 4. */
  concurrency?: number;
}

/** The runtimes whose change would alter the pinned artifact. */
export function artifactChanges(input: Omit<SurfaceInput, 'discover'>): DesiredResource[] {
  const byAddress = new Map(input.desired.map((d) => [d.address, d]));
  const out: DesiredResource[] = [];
  for (const c of input.plan.changes) {
    if (c.action === 'noop' || c.action === 'delete') continue;
    const d = byAddress.get(c.address);
    if (!d) continue;
    if (!sameArtifact(input.lock?.runtimes[d.runtime]?.artifact, input.pins[d.runtime])) out.push(d);
  }
  return out;
}

export async function discoverSurfaces(input: SurfaceInput): Promise<SurfaceReport[]> {
  const todo = artifactChanges(input);
  const reports: SurfaceReport[] = [];
  const queue = [...todo];
  const worker = async (): Promise<void> => {
    for (let d = queue.shift(); d; d = queue.shift()) {
      const entry = input.lock?.runtimes[d.runtime];
      const report: SurfaceReport = {
        address: d.address,
        runtime: d.runtime,
        artifact: input.pins[d.runtime],
        pinned: Boolean(entry?.surface),
      };
      if (entry?.artifact) report.lockedArtifact = entry.artifact;
      if (!input.discover) report.note = 'discovery skipped (--no-discover)';
      else {
        const found = await input.discover(d);
        if (found.surface) report.diff = diffSurface(entry?.surface ?? emptySurface(), found.surface);
        else report.note = found.note ?? 'the surface could not be read';
      }
      reports.push(report);
    }
  };
  await Promise.all(Array.from({ length: Math.min(input.concurrency ?? 4, queue.length) }, worker));
  return reports.sort((a, b) => a.address.localeCompare(b.address));
}

/** The approval subject of a compiled runtime (as desired.ts builds it from the config). */
function subjectOf(d: DesiredResource): ApprovalSubject {
  const s = d.spec.source;
  return {
    runtime: d.runtime,
    catalog: d.spec.catalog,
    sourceType: s.type,
    image: s.type === 'docker' ? s.image : s.type === 'github' ? s.registry : undefined,
    profile: d.spec.guardrails.profile,
    backendType: d.backendType,
  };
}

/**
 * Holds changes that alter a pinned surface when an approval rule says `tool_surface_changed:
 * true`: the rule's reasons join the change's approval and the change needs approval.
 */
export function holdSurfaceChanges(
  plan: Plan,
  desired: readonly DesiredResource[],
  settings: ApprovalSettings | undefined,
): void {
  const byAddress = new Map(desired.map((d) => [d.address, d]));
  for (const r of plan.surfaces ?? []) {
    if (!r.pinned || !r.diff || surfaceDiffEmpty(r.diff)) continue;
    const change = plan.changes.find((c) => c.address === r.address);
    const d = byAddress.get(r.address);
    if (!change || !d) continue;
    const need = surfaceChangeApproval(settings, subjectOf(d));
    if (!need) continue;
    change.approval = {
      reasons: [...(change.approval?.reasons ?? []), ...need.reasons],
      approvers: [...(change.approval?.approvers ?? []), ...need.approvers],
    };
    change.needsApproval = true;
  }
}
