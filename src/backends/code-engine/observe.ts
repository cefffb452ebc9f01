// Observation of one stack in a Code Engine project: one paged list of apps and one of secrets
// (O(1) calls in the number of apps), grouped into ObservedResources by our name scheme and
// ownership mark. Also a census of the whole project for the quota pre-flight. No per-app GET.

import { GATEWAY_DEPLOY_ADDRESS, type ObservedResource, type ObservedStatus } from '../../model/resources.js';
import { liveApp } from './desired-app.js';
import { liveGatewayFields } from './gateway-app.js';
import {
  GATEWAY_ROLE,
  ROLE_ENV,
  ROLE_KEY,
  runtimeOfApp,
  runtimeOfSecret,
  SECRET_STACK_KEY,
  STACK_ENV,
} from './names.js';
import type { App, Secret } from './types.js';
import { revisionNumber } from './client.js';

export interface ProjectCensus {
  /** Every app of the project, ours and others'. */
  apps: number;
  /**
   * Upper bound of the revisions of the project: the sum of each app's latest revision number
   * (`<app>-00007` → 7). Garbage-collected revisions make it an over-estimate, never an under one.
   */
  revisionsUpperBound: number;
  /** App names, for the exact revision count when the bound is near the quota. */
  appNames: string[];
}

export interface StackSnapshot {
  observed: ObservedResource[];
  census: ProjectCensus;
  /** Our secrets by runtime (name only). */
  secrets: Map<string, string>;
  /** Apps carrying our prefix but another stack's mark (never touched). */
  foreignLookalikes: string[];
}

export function isOwnedApp(app: App, stack: string): boolean {
  return (app.run_env_variables ?? []).some(
    (e) => (e.type ?? 'literal') === 'literal' && e.name === STACK_ENV && e.value === stack,
  );
}

export function isOwnedSecret(secret: Pick<Secret, 'data' | 'format'>, stack: string): boolean {
  return secret.format === 'generic' && secret.data?.[SECRET_STACK_KEY] === stack;
}

export { revisionNumber };

export function statusOf(app: App): ObservedStatus {
  switch (app.status) {
    case 'ready':
      return 'running';
    case 'deploying':
      return 'starting';
    case 'failed':
    case 'warning':
      return 'failed';
    default:
      return 'unknown';
  }
}

/** The URL the gateway dials: the app endpoint plus the MCP path (none for project-only apps). */
export function endpointUrl(app: App, path: string | undefined): string | undefined {
  if (!app.endpoint) return undefined;
  return `${app.endpoint.replace(/\/$/, '')}${path ?? ''}`;
}

export interface GroupInput {
  stack: string;
  backend: string;
  apps: readonly App[];
  secrets: readonly Secret[];
  /**
   * MCP transport and path by runtime, from the desired config. Unknown (a runtime no longer
   * configured, or observe without a plan): no endpoint is reported, and readers fall back to
   * the endpoint apply recorded.
   */
  pathOf?: (runtime: string) => { transport: 'streamable-http' | 'sse'; path: string } | undefined;
}

export function groupStack(input: GroupInput): StackSnapshot {
  const { stack } = input;
  const secretsByRuntime = new Map<string, Secret>();
  // The gateway app's secret (gateway.deploy), kept apart: a runtime may not share its name.
  let gatewaySecret: Secret | undefined;
  for (const s of input.secrets) {
    const rt = runtimeOfSecret(stack, s.name);
    if (!rt || !isOwnedSecret(s, stack)) continue;
    if (s.data?.[ROLE_KEY] === GATEWAY_ROLE) gatewaySecret = s;
    else secretsByRuntime.set(rt, s);
  }
  let gatewaySeen = false;
  const observed: ObservedResource[] = [];
  const foreignLookalikes: string[] = [];
  let revisions = 0;
  for (const app of input.apps) {
    revisions += Math.max(1, revisionNumber(app.status_details?.latest_created_revision));
    const runtime = runtimeOfApp(stack, app.name);
    if (!runtime) continue;
    if (!isOwnedApp(app, stack)) {
      foreignLookalikes.push(app.name);
      continue;
    }
    // The gateway deployed next to the runtimes (gateway.deploy) is ours but not a runtime.
    const gateway = (app.run_env_variables ?? []).some((e) => e.name === ROLE_ENV && e.value === GATEWAY_ROLE);
    if (gateway) gatewaySeen = true;
    const secret = gateway ? gatewaySecret : secretsByRuntime.get(runtime);
    const live = liveApp({ app, stack, runtime, secret });
    if (gateway) live.value = liveGatewayFields(live.value, stack, secret);
    const t = gateway ? { transport: 'streamable-http' as const, path: '/mcp' } : input.pathOf?.(runtime);
    const url = t ? endpointUrl(app, t.path) : undefined;
    const o: ObservedResource = {
      address: gateway ? GATEWAY_DEPLOY_ADDRESS : `runtime.${runtime}`,
      runtime,
      backend: input.backend,
      live: { ...live.value, health: app.status_details?.reason ?? app.status },
      status: statusOf(app),
      ...(t ? { endpoint: { transport: t.transport, ...(url ? { url } : {}) } } : {}),
      native: {
        app: app.name,
        etag: app.entity_tag,
        appStatus: app.status,
        reason: app.status_details?.reason,
        latestCreatedRevision: app.status_details?.latest_created_revision,
        latestReadyRevision: app.status_details?.latest_ready_revision,
        ...(app.endpoint_internal ? { endpointInternal: app.endpoint_internal } : {}),
        ...(secret ? { secret: secret.name } : {}),
      },
    };
    if (live.specHash) o.specHash = live.specHash;
    observed.push(o);
  }
  if (gatewaySecret && !gatewaySeen)
    observed.push({
      address: GATEWAY_DEPLOY_ADDRESS,
      runtime: runtimeOfSecret(stack, gatewaySecret.name)!,
      backend: input.backend,
      live: {},
      status: 'missing',
      native: { secret: gatewaySecret.name, orphanSecret: true },
    });
  observed.sort((a, b) => a.address.localeCompare(b.address));
  const secrets = new Map([...secretsByRuntime].map(([rt, s]) => [rt, s.name]));
  // Secrets of runtimes whose app is gone (an interrupted apply) are still ours to clean up.
  for (const [rt, name] of secrets) {
    if (observed.some((o) => o.runtime === rt)) continue;
    observed.push({
      address: `runtime.${rt}`,
      runtime: rt,
      backend: input.backend,
      live: {},
      status: 'missing',
      native: { secret: name, orphanSecret: true },
    });
  }
  return {
    observed,
    census: { apps: input.apps.length, revisionsUpperBound: revisions, appNames: input.apps.map((a) => a.name) },
    secrets,
    foreignLookalikes,
  };
}
