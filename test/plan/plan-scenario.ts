// A fixed plan scenario shared by the diff and renderer tests: desired runtimes compiled from a
// hand-built config, observed resources as a backend would report them, and a state store
// snapshot, diffed with the shared defaultResourcePlan rule (a real module, not a stand-in).

import { compileDesired } from '../../src/plan/desired.js';
import { diffPlan } from '../../src/plan/diff.js';
import { defaultResourcePlan } from '../../src/model/resource-plan.js';
import type { DesiredResource, ObservedResource, Plan } from '../../src/model/resources.js';
import type { RuntimeRecord } from '../../src/state/store.js';
import { buildConfig, ECHO_ENTRY, runtime, TEST_SECRET } from './config-builder.js';

export const CREATED_AT = '2026-01-02T03:04:05.000Z';

export function observedFrom(
  d: DesiredResource,
  patch: Partial<ObservedResource> = {},
  livePatch: Record<string, unknown> = {},
): ObservedResource {
  return {
    address: d.address,
    runtime: d.runtime,
    backend: d.backend,
    specHash: d.specHash,
    live: { ...structuredClone(d.spec), ...livePatch },
    status: 'running',
    endpoint: { transport: 'streamable-http', url: 'http://127.0.0.1:49153/mcp' },
    ...patch,
  };
}

export function recordFrom(d: DesiredResource): RuntimeRecord {
  return {
    stack: 'demo',
    address: d.address,
    runtime: d.runtime,
    backend: d.backend,
    backendType: d.backendType,
    specHash: d.specHash,
    spec: d.spec,
    status: 'running',
    warnings: [],
    appliedAt: CREATED_AT,
    dependsOn: d.dependsOn,
  };
}

/** Every kind of change at once: create, replace (env + secret), drift-missing, delete, noop, update. */
export function scenario(): { plan: Plan; desired: DesiredResource[] } {
  const approval = {
    enabled: true,
    required_for: [{ registry_not_in: ['docker.io/library'] }],
    approvers: ['security-team'],
  };
  const config = buildConfig({
    approval,
    backends: {
      local: { type: 'docker', allow_local_images: true, default_limits: { memory: '256m' } },
      procs: { type: 'process' },
    },
    catalog: [
      ECHO_ENTRY,
      { ...ECHO_ENTRY, slug: 'lib', source: { type: 'docker', image: 'node:20' } },
      {
        ...ECHO_ENTRY,
        slug: 'cmd',
        source: { type: 'command', command: 'node', args: ['server.js'] },
        transport: undefined,
        env: {},
      },
    ],
    runtimes: [
      runtime({ name: 'alpha', catalog: 'lib', backend: 'local' }),
      runtime({
        name: 'bravo',
        catalog: 'lib',
        backend: 'local',
        env: { LOG_LEVEL: 'debug' },
        secrets: { API_TOKEN: `${TEST_SECRET}-new` },
      }),
      runtime({ name: 'charlie', catalog: 'lib', backend: 'local', depends_on: ['alpha'] }),
      runtime({ name: 'delta', catalog: 'lib', backend: 'local' }),
      runtime({ name: 'echo', catalog: 'lib', backend: 'local', scale: { min: 2 } }),
      runtime({ name: 'foxtrot', catalog: 'echo', backend: 'local', guardrails_profile: 'restricted' }),
      runtime({ name: 'india', catalog: 'echo', backend: 'local', env: { LOG_LEVEL: 'warn' } }),
      runtime({ name: 'juliet', catalog: 'cmd', backend: 'procs', guardrails_profile: 'restricted' }),
    ],
  });
  const desired = compileDesired(config).value!;
  const by = Object.fromEntries(desired.map((d) => [d.runtime, d]));
  // bravo as it was applied before: LOG_LEVEL info and the old token.
  const oldBravo = compileDesired(
    buildConfig({
      catalog: [{ ...ECHO_ENTRY, slug: 'lib', source: { type: 'docker', image: 'node:20' } }],
      runtimes: [runtime({ name: 'bravo', catalog: 'lib', backend: 'local', secrets: { API_TOKEN: TEST_SECRET } })],
    }),
  ).value![0];
  const oldEcho = compileDesired(
    buildConfig({
      catalog: [{ ...ECHO_ENTRY, slug: 'lib', source: { type: 'docker', image: 'node:20' } }],
      runtimes: [runtime({ name: 'echo', catalog: 'lib', backend: 'local' })],
    }),
  ).value![0];
  const observed: ObservedResource[] = [
    observedFrom(oldBravo),
    observedFrom(by.delta),
    observedFrom(oldEcho),
    observedFrom(by.foxtrot),
    { address: 'runtime.golf', runtime: 'golf', backend: 'local', specHash: 'sha256:old', live: {}, status: 'running' },
  ];
  const state: RuntimeRecord[] = [
    recordFrom(by.charlie),
    recordFrom(by.delta),
    { ...recordFrom(by.delta), address: 'runtime.hotel', runtime: 'hotel' },
  ];
  const planner = {
    plan: (d?: DesiredResource, o?: ObservedResource) =>
      defaultResourcePlan(d, o, { inPlace: (p) => p.startsWith('scale.') }),
  };
  const plan = diffPlan({
    stack: 'demo',
    desired,
    observed,
    state,
    backends: { local: planner, procs: planner },
    configFingerprint: config.fingerprint,
    createdAt: CREATED_AT,
  });
  return { plan, desired };
}
