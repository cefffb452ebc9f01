// The gateway as an app of the same Code Engine project as its upstreams: a generic secret
// holding the gateway's bearer token and the upstream list (internal URLs of project-visible
// apps, `<app>.<subdomain>.svc.cluster.local`), and the app running the gateway image with both
// as secret_key_references (never literals: a token must not show in the app's env, and a
// literal's value is limited to 253 plain characters). Created or patched in place, marked as
// ours like every app; the caller waits for readiness.

import type { ProjectClient } from './client.js';
import { GATEWAY_ROLE, isOwnedApp, ROLE_ENV, ROLE_KEY } from './observe.js';
import { appName, SECRET_STACK_KEY, secretName, STACK_ENV } from './names.js';
import type { App, AppPrototype } from './types.js';

/** The gateway's name in the stack's naming scheme (as if it were a runtime named `gateway`). */
export const GATEWAY_RUNTIME = 'gateway';
// Marks (an env literal on the app, a key in the secret) that keep observe from treating the
// gateway as a runtime of the stack (which plan would then delete as not in the config).
export { GATEWAY_ROLE, ROLE_ENV, ROLE_KEY };

export interface GatewayUpstream {
  name: string;
  /** The upstream's internal URL plus its MCP path. */
  url: string;
  transport: 'streamable-http' | 'sse';
}

export interface GatewayAppInput {
  project: ProjectClient;
  stack: string;
  image: string;
  token: string;
  upstreams: readonly GatewayUpstream[];
  /** The port the gateway listens on inside the container (default 8080). */
  port?: number;
  cpu?: string;
  memory?: string;
  waitMs?: number;
  pollMs?: number;
}

export async function deployGatewayApp(input: GatewayAppInput): Promise<App> {
  const { project, stack } = input;
  const app = appName(stack, GATEWAY_RUNTIME);
  const secret = secretName(stack, GATEWAY_RUNTIME);
  const data = {
    token: input.token,
    upstreams: JSON.stringify(input.upstreams),
    [SECRET_STACK_KEY]: stack,
    [ROLE_KEY]: GATEWAY_ROLE,
  };
  const found = await project.secrets.find(secret);
  if (!found) await project.secrets.create({ name: secret, format: 'generic', data });
  else
    await project.secrets.replaceWithRetryOn412(secret, (cur) =>
      JSON.stringify(cur.data) === JSON.stringify(data) ? null : { format: 'generic', data },
    );
  const proto: AppPrototype = {
    name: app,
    image_reference: input.image,
    image_port: input.port ?? 8080,
    managed_domain_mappings: 'local_public',
    run_env_variables: [
      { type: 'literal', name: STACK_ENV, value: stack },
      { type: 'literal', name: ROLE_ENV, value: GATEWAY_ROLE },
      { type: 'secret_key_reference', name: 'CONTEXTFORGE_GATEWAY_TOKEN', reference: secret, key: 'token' },
      { type: 'secret_key_reference', name: 'CONTEXTFORGE_UPSTREAMS', reference: secret, key: 'upstreams' },
    ],
    scale_cpu_limit: input.cpu ?? '0.25',
    scale_memory_limit: input.memory ?? '1G',
    scale_min_instances: 1,
    scale_max_instances: 1,
  };
  const existing = await project.apps.find(app);
  let afterRevision: string | undefined;
  if (!existing) await project.apps.create(proto);
  else {
    if (!isOwnedApp(existing.value, stack))
      throw new Error(`Code Engine app ${app} exists but is not stack ${stack}'s`);
    afterRevision = existing.value.status_details?.latest_created_revision;
    // The secret may have changed without the app: a new revision picks it up.
    const { name: _n, ...patch } = proto;
    await project.apps.patch(app, { ...patch, run_env_variables: proto.run_env_variables }, existing.etag);
  }
  return (
    await project.apps.waitUntilSettled(app, {
      timeoutMs: input.waitMs ?? 240_000,
      intervalMs: input.pollMs ?? 1000,
      afterRevision,
    })
  ).value;
}
