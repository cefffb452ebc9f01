// The Code Engine backend's pure plan for one runtime: the managed fields of the desired app
// against those of the live app. Everything Code Engine can patch is an in-place `update` (a
// patch makes a new revision); the recorded spec hash tells a config change from a console edit.

import { warning, type Diagnostic } from '../../diag/diagnostic.js';
import { diffFields } from '../../model/fields.js';
import type { Change, DesiredResource, FieldChange, ObservedResource, Reason } from '../../model/resources.js';
import type { ManagedApp } from './desired-app.js';

const SLUGS: Array<[(p: string) => boolean, string]> = [
  [(p) => p === 'image', 'image-changed'],
  [(p) => p === 'command' || p === 'args', 'command-changed'],
  [(p) => p === 'port', 'port-changed'],
  [(p) => p.startsWith('env.'), 'env-changed'],
  [(p) => p.startsWith('scale.'), 'scale-changed'],
  [(p) => p.startsWith('resources.'), 'resources-changed'],
  [(p) => p === 'visibility', 'visibility-changed'],
  [(p) => p.startsWith('probes.'), 'probes-changed'],
  [(p) => p.startsWith('upstreams.'), 'upstreams-changed'],
  [(p) => p === 'imageSecret', 'image-secret-changed'],
];

export function reasonSlug(fields: readonly FieldChange[]): string {
  return reasonSlugs(fields)[0];
}

/** Every cause among the fields, most significant first. */
export function reasonSlugs(fields: readonly FieldChange[]): string[] {
  const out = SLUGS.filter(([test]) => fields.some((f) => test(f.path))).map(([, slug]) => slug);
  return out.length ? out : ['spec-changed'];
}

export interface CeDiffInput {
  backend: string;
  desired: DesiredResource | undefined;
  observed: ObservedResource | undefined;
  /** The desired managed app (undefined when it could not be built; problem says why). */
  want?: ManagedApp;
  problem?: string;
  /** A GitHub source whose commit is resolved: an image change alone is the source moving. */
  built?: boolean;
}

export function diffApp(input: CeDiffInput): Change {
  const { desired: d, observed: o } = input;
  const base = {
    address: (d ?? o)!.address,
    backend: d?.backend ?? o?.backend ?? input.backend,
    backendType: 'ibm_code_engine' as const,
    desired: d,
    observed: o,
    dependsOn: d?.dependsOn ?? [],
  };
  const diags: Diagnostic[] = [];
  if (!d) return { ...base, action: 'delete', reason: 'delete:not-in-config', fields: [], diagnostics: diags };
  if (!input.want) {
    diags.push({
      severity: 'error',
      code: 'ce.unsupported',
      summary: `${d.address} cannot run on Code Engine: ${input.problem ?? 'unknown reason'}`,
      address: d.address,
    });
    return { ...base, action: 'noop', reason: 'noop:unsupported', fields: [], diagnostics: diags };
  }
  const steps = input.built ? ['build'] : undefined;
  const want = input.want;
  const present = o && o.native?.app;
  if (!o || !present) {
    const fields = diffFields(want as unknown as Record<string, unknown>, {}, { forcesReplace: () => false });
    return {
      ...base,
      action: 'create',
      reason: o ? 'create:drift-missing' : 'create:new',
      fields,
      diagnostics: diags,
      ...(steps ? { steps } : {}),
    };
  }
  const ignore = ['health'];
  if (!want.resources.ephemeralStorage) ignore.push('resources.ephemeralStorage');
  const fields = diffFields(want as unknown as Record<string, unknown>, o.live, { forcesReplace: () => false, ignore });
  if (fields.length === 0 && o.specHash !== d.specHash) {
    // Only settings Code Engine ignores changed (labels, a guardrail it cannot enforce): the
    // recorded hash is refreshed so that status shows the runtime in sync.
    fields.push({ path: 'specHash', before: o.specHash ?? '(none)', after: d.specHash });
    return { ...base, action: 'update', reason: 'update:spec-changed', fields, diagnostics: diags };
  }
  if (fields.length === 0) {
    if (o.status === 'failed') {
      diags.push(
        warning(
          'ce.app-failed',
          `Code Engine app of ${d.address} is ${String(o.native?.appStatus)}: ${String(o.native?.reason ?? 'no reason given')}`,
          {
            address: d.address,
            detail:
              'The configuration is applied but the latest revision does not run; check the image and `contextforge status`.',
          },
        ),
      );
    }
    return { ...base, action: 'noop', reason: 'noop:up-to-date', fields, diagnostics: diags };
  }
  const sourceMoved = input.built && fields.every((f) => f.path === 'image');
  const drift = o.specHash === d.specHash && !sourceMoved;
  const reasons: Reason[] = drift ? ['update:drift-edited'] : reasonSlugs(fields).map((s): Reason => `update:${s}`);
  const imageMoved = fields.some((f) => f.path === 'image');
  return {
    ...base,
    action: 'update',
    reason: reasons[0],
    ...(reasons.length > 1 ? { reasons } : {}),
    fields,
    diagnostics: diags,
    ...(steps && imageMoved ? { steps } : {}),
  };
}
