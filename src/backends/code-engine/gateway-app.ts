// The gateway as an app of the same Code Engine project as its upstreams (the resource
// gateway.deploy): one generic secret holding the gateway's bearer token and the upstream list
// (internal URLs of the runtimes' apps, `<app>.<subdomain>.svc.cluster.local`, read from each
// app's endpoint_internal when applied), and the app running the gateway image with both as
// secret_key_references (never literals: a token must not show in the app's env, and a
// literal's value is limited to 253 plain characters). Marked as the stack's gateway so that
// observe tells it from a runtime. The comparable views here are pure; upstreamUrls lists apps.

import type { DesiredResource } from '../../model/resources.js';
import type { ProjectClient } from './client.js';
import type { ManagedApp } from './desired-app.js';
import { appName, GATEWAY_ROLE, ROLE_ENV, ROLE_KEY, runtimeOfApp, SECRET_STACK_KEY } from './names.js';
import type { AppPrototype } from './types.js';

/** The secret key (and env var) holding the upstream list, JSON `[{name, url, transport}]`. */
export const UPSTREAMS_ENV = 'CONTEXTFORGE_UPSTREAMS';

export interface GatewayUpstream {
  name: string;
  /** The upstream's internal URL plus its MCP path. */
  url: string;
  transport: 'streamable-http' | 'sse';
}

/** One upstream in comparable form: `<transport> <path>`, keyed by runtime name. */
function upstreamLine(transport: string, path: string): string {
  return `${transport} ${path}`;
}

/** The desired app's extra gateway fields: its role mark and the upstreams it serves. */
export function withGatewayFields(app: ManagedApp, d: DesiredResource): ManagedApp {
  const upstreams = Object.fromEntries(
    (d.spec.gatewayUpstreams ?? []).map((u) => [u.runtime, upstreamLine(u.transport, u.path)]),
  );
  return { ...app, env: { ...app.env, [ROLE_ENV]: GATEWAY_ROLE }, upstreams };
}

/**
 * The live app's gateway fields: the upstream list read back from the secret (each URL's app
 * must be the runtime it is listed as, else it shows as pointing elsewhere), out of the digests.
 */
export function liveGatewayFields(
  app: ManagedApp,
  stack: string,
  secret: { data?: Record<string, string> } | undefined,
): ManagedApp {
  const { [UPSTREAMS_ENV]: _listed, ...secretDigests } = app.secretDigests;
  const upstreams: Record<string, string> = {};
  let list: unknown;
  try {
    list = JSON.parse(secret?.data?.[UPSTREAMS_ENV] ?? '[]');
  } catch {
    list = [];
  }
  for (const u of Array.isArray(list) ? (list as Partial<GatewayUpstream>[]) : []) {
    if (typeof u?.name !== 'string' || typeof u.url !== 'string') continue;
    let url: URL;
    try {
      url = new URL(u.url);
    } catch {
      upstreams[u.name] = `(invalid url)`;
      continue;
    }
    const host = url.hostname.split('.')[0];
    upstreams[u.name] =
      runtimeOfApp(stack, host) === u.name
        ? upstreamLine(u.transport ?? 'streamable-http', url.pathname)
        : `(app ${host}) ${url.pathname}`;
  }
  return { ...app, secretDigests, upstreams };
}

/** The secret's data: token, upstream list, and the stack and role marks. */
export function gatewaySecretData(input: {
  d: DesiredResource;
  stack: string;
  upstreams: readonly GatewayUpstream[];
}): Record<string, string> {
  return {
    ...input.d.secretEnv,
    [UPSTREAMS_ENV]: JSON.stringify(input.upstreams),
    [SECRET_STACK_KEY]: input.stack,
    [ROLE_KEY]: GATEWAY_ROLE,
  };
}

/** The app prototype of the gateway: the runtime prototype plus the upstream list's reference. */
export function gatewayPrototype(proto: AppPrototype, secret: string): AppPrototype {
  return {
    ...proto,
    run_env_variables: [
      ...(proto.run_env_variables ?? []),
      { type: 'secret_key_reference', name: UPSTREAMS_ENV, reference: secret, key: UPSTREAMS_ENV },
    ],
  };
}

/**
 * The internal URL of every upstream, from its app's endpoint_internal (one list call). An
 * upstream whose app is missing or has no internal endpoint is returned in `missing`.
 */
export async function upstreamUrls(
  project: ProjectClient,
  stack: string,
  d: DesiredResource,
): Promise<{ upstreams: GatewayUpstream[]; missing: string[] }> {
  const apps = new Map((await project.apps.list()).map((a) => [a.name, a]));
  const upstreams: GatewayUpstream[] = [];
  const missing: string[] = [];
  for (const u of d.spec.gatewayUpstreams ?? []) {
    const internal = apps.get(appName(stack, u.runtime))?.endpoint_internal;
    if (!internal) missing.push(u.runtime);
    else upstreams.push({ name: u.runtime, url: `${internal.replace(/\/$/, '')}${u.path}`, transport: u.transport });
  }
  return { upstreams, missing };
}
