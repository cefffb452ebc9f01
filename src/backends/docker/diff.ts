// The Docker backend's pure diff for one runtime: containers are immutable, so any change to a
// managed field is a replace with a reason code and field-level before/after lines; a stopped
// container or a missing sidecar is an in-place update. No I/O. Secret values never appear:
// secret env shows up only as `(sensitive)` fields driven by the hash label.

import { warning, type Diagnostic } from '../../diag/diagnostic.js';
import { canonicalJson } from '../../model/canonical.js';
import type {
  ActionKind,
  Change,
  DesiredResource,
  FieldChange,
  ObservedResource,
  Reason,
} from '../../model/resources.js';
import { dockerHash, managedSpec, type DockerManagedSpec } from './labels.js';

/** Reason by the first group of fields that differs, most significant first. */
const GROUPS: Array<{ test: (path: string) => boolean; reason: Reason }> = [
  { test: (p) => p === 'image' || p === 'imageId', reason: 'replace:image-changed' },
  { test: (p) => p.startsWith('build.'), reason: 'replace:build-changed' },
  { test: (p) => p === 'entrypoint' || p === 'cmd', reason: 'replace:command-changed' },
  { test: (p) => p.startsWith('env.') || p.startsWith('secretEnv'), reason: 'replace:env-changed' },
  { test: (p) => p.startsWith('guardrails.ingressPorts'), reason: 'replace:ports-changed' },
  { test: (p) => p.startsWith('guardrails.'), reason: 'replace:guardrails-changed' },
  { test: (p) => p.startsWith('transport.') || p === 'hostPort', reason: 'replace:ports-changed' },
  { test: (p) => p === 'restart', reason: 'replace:restart-changed' },
  { test: (p) => p.startsWith('labels.'), reason: 'replace:labels-changed' },
];

function same(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}

function mapFields(
  prefix: string,
  before: Record<string, unknown> = {},
  after: Record<string, unknown> = {},
): FieldChange[] {
  const out: FieldChange[] = [];
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    if (!same(before[key], after[key]))
      out.push({ path: `${prefix}.${key}`, before: before[key], after: after[key], forcesReplace: true });
  }
  return out;
}

/** Field-level differences between the spec we created (labels) and the desired one. */
export function specFields(before: DockerManagedSpec, after: DockerManagedSpec): FieldChange[] {
  const out: FieldChange[] = [];
  const scalar = (path: string, b: unknown, a: unknown): void => {
    if (!same(b, a)) out.push({ path, before: b, after: a, forcesReplace: true });
  };
  scalar('image', before.image, after.image);
  scalar('entrypoint', before.entrypoint, after.entrypoint);
  scalar('cmd', before.cmd, after.cmd);
  out.push(...mapFields('env', before.env, after.env));
  out.push(
    ...mapFields(
      'guardrails',
      before.guardrails as unknown as Record<string, unknown>,
      after.guardrails as unknown as Record<string, unknown>,
    ),
  );
  out.push(
    ...mapFields(
      'transport',
      before.transport as unknown as Record<string, unknown>,
      after.transport as unknown as Record<string, unknown>,
    ),
  );
  scalar('hostPort', before.hostPort, after.hostPort);
  scalar('restart', before.restart, after.restart);
  out.push(...mapFields('labels', before.labels, after.labels));
  if (before.build || after.build)
    out.push(
      ...mapFields(
        'build',
        before.build as unknown as Record<string, unknown>,
        after.build as unknown as Record<string, unknown>,
      ),
    );
  for (const name of [...new Set([...before.secretNames, ...after.secretNames])].sort()) {
    const had = before.secretNames.includes(name);
    const has = after.secretNames.includes(name);
    if (had !== has) {
      out.push({
        path: `secretEnv.${name}`,
        before: had ? '(sensitive)' : undefined,
        after: has ? '(sensitive)' : undefined,
        sensitive: true,
        forcesReplace: true,
      });
    }
  }
  return out;
}

/** Every cause among the fields, most significant first. */
function reasonsFor(fields: FieldChange[]): Reason[] {
  const out: Reason[] = [];
  for (const g of GROUPS) if (fields.some((f) => g.test(f.path)) && !out.includes(g.reason)) out.push(g.reason);
  return out.length ? out : ['replace:spec-changed'];
}

interface DiffInput {
  desired: DesiredResource | undefined;
  observed: ObservedResource | undefined;
  backend: string;
}

function change(
  input: DiffInput,
  action: ActionKind,
  reason: Reason | Reason[],
  fields: FieldChange[] = [],
  diags: Diagnostic[] = [],
): Change {
  const d = input.desired;
  const reasons = Array.isArray(reason) ? reason : [reason];
  return {
    address: d?.address ?? input.observed?.address ?? 'runtime.unknown',
    action,
    reason: reasons[0],
    ...(reasons.length > 1 ? { reasons } : {}),
    backend: d?.backend ?? input.observed?.backend ?? input.backend,
    backendType: 'docker',
    fields,
    desired: d,
    observed: input.observed,
    dependsOn: d?.dependsOn ?? [],
    diagnostics: [...(d?.diagnostics ?? []), ...diags],
    approval: d?.approval,
  };
}

export function diffRuntime(input: DiffInput): Change {
  const { desired, observed } = input;
  if (!desired) {
    const live = observed?.live.docker as DockerManagedSpec | undefined;
    return change(input, 'delete', 'delete:not-in-config', live ? [{ path: 'image', before: live.image }] : []);
  }
  const want = managedSpec(desired);
  const createFields = (): FieldChange[] => {
    if (!want) return [];
    const fields: FieldChange[] = [{ path: 'image', after: want.image }];
    for (const [k, v] of Object.entries(want.env)) fields.push({ path: `env.${k}`, after: v });
    for (const k of want.secretNames) fields.push({ path: `secretEnv.${k}`, after: '(sensitive)', sensitive: true });
    fields.push({ path: 'guardrails.profile', after: desired.spec.guardrails.profile });
    return fields;
  };
  if (!observed) return change(input, 'create', 'create:new', createFields());
  if (observed.status === 'missing') return change(input, 'create', 'create:drift-missing', createFields());
  if (!want) return change(input, 'noop', 'noop:unsupported-source');

  const live = observed.live.docker as DockerManagedSpec | undefined;
  if (!live) {
    return change(input, 'replace', 'replace:drift-edited', [
      { path: 'labels', before: '(unreadable spec label)', after: 'spec', forcesReplace: true },
    ]);
  }
  const fields = specFields(live, want);
  // The same tag rebuilt (a new image ID behind it) is a cause of its own, listed beside any
  // other field that changed: a reader must see every reason the container is replaced.
  const imageId = observed.live.imageId as string | undefined;
  const current = observed.live.imageCurrentId as string | undefined;
  const rebuilt: FieldChange | undefined =
    current && imageId && current !== imageId && !fields.some((f) => f.path === 'image')
      ? { path: 'imageId', before: imageId, after: current, forcesReplace: true }
      : undefined;
  const hashMoved = observed.live.dockerHash !== dockerHash(want, desired.spec.secretDigests);
  const secretFields = want.secretNames.map((n) => ({
    path: `secretEnv.${n}`,
    before: '(sensitive)',
    after: '(sensitive)',
    sensitive: true,
    forcesReplace: true,
  }));
  if (fields.length > 0) {
    // With the same secret names, the live hash recomputed from the live spec and the desired
    // secret digests tells whether a secret value moved too.
    const sameNames = canonicalJson([...live.secretNames].sort()) === canonicalJson([...want.secretNames].sort());
    const secretsToo =
      sameNames && observed.live.dockerHash !== dockerHash(live, desired.spec.secretDigests) ? secretFields : [];
    const all = [...(rebuilt ? [rebuilt] : []), ...fields, ...secretsToo];
    return change(input, 'replace', reasonsFor(all), all);
  }
  if (hashMoved) {
    // Same names and plain values, yet the hash moved: a secret value changed.
    const all: FieldChange[] = [
      ...(rebuilt ? [rebuilt] : []),
      ...(secretFields.length
        ? secretFields
        : [{ path: 'spec', before: '(changed)', after: '(changed)', forcesReplace: true }]),
    ];
    return change(
      input,
      'replace',
      rebuilt ? ['replace:image-changed', 'replace:env-changed'] : 'replace:env-changed',
      all,
    );
  }

  if (rebuilt) return change(input, 'replace', 'replace:image-changed', [rebuilt]);
  const drift = (observed.live.listDrift as string[] | undefined) ?? [];
  if (drift.length > 0) {
    return change(
      input,
      'replace',
      'replace:drift-edited',
      drift.map((d) => ({ path: 'container', before: d, after: 'as configured', forcesReplace: true })),
    );
  }
  if (observed.status === 'stopped' || observed.status === 'exited') {
    return change(input, 'update', 'update:drift-stopped', [
      { path: 'state', before: observed.status, after: 'running' },
    ]);
  }
  if (observed.native?.state === 'dead') {
    return change(input, 'replace', 'replace:drift-failed', [
      { path: 'state', before: 'dead', after: 'running', forcesReplace: true },
    ]);
  }
  const edge = (observed.live.edgeDrift as string[] | undefined) ?? [];
  if (edge.length > 0) {
    return change(
      input,
      'update',
      'update:drift-edge-edited',
      edge.map((d) => ({ path: 'edge', before: d, after: 'as configured' })),
    );
  }
  if (!observed.live.edgePresent) {
    return change(input, 'update', 'update:drift-edge-missing', [
      { path: 'edge', before: 'missing', after: 'running' },
    ]);
  }
  if (!observed.live.edgeRunning) {
    return change(input, 'update', 'update:drift-stopped', [
      { path: 'edge.state', before: observed.native?.edgeState, after: 'running' },
    ]);
  }
  const extra = (observed.native?.extraContainers as string[] | undefined) ?? [];
  if (extra.length > 0) {
    return change(input, 'update', 'update:drift-duplicate', [
      { path: 'containers', before: extra.length + 1, after: 1 },
    ]);
  }
  const diags: Diagnostic[] = [];
  if (observed.status === 'failed') {
    diags.push(
      warning('docker.unhealthy', `Container of ${desired.address} reports unhealthy`, {
        address: desired.address,
        detail: 'Run `contextforge logs` for this runtime to see why.',
      }),
    );
  }
  return change(input, 'noop', 'noop:up-to-date', [], diags);
}
