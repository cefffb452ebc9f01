// Compiles `gateway.deploy` into one desired resource at GATEWAY_DEPLOY_ADDRESS: the gateway
// image as a Code Engine app of the named backend, its token a secret value (digest only in the
// spec), and the runtimes it serves (by name, transport and path; the backend turns them into
// internal URLs when it applies). It depends on those runtimes, so apply creates them first and
// deletes them after it. Pure: no I/O. config/gateway-deploy.ts has validated the references.

import { GATEWAY_APP_RUNTIME, parseCpu, parseMemory, type LoadedConfig } from '../config/index.js';
import type { Result } from '../diag/diagnostic.js';
import { hashOf, secretDigest } from '../model/canonical.js';
import {
  GATEWAY_DEPLOY_ADDRESS,
  type DesiredResource,
  type GatewayUpstreamSpec,
  type RuntimeSpec,
} from '../model/resources.js';

/** The env var holding the gateway app's bearer token (a secret key reference, never a literal). */
export const GATEWAY_TOKEN_ENV = 'CONTEXTFORGE_GATEWAY_TOKEN';
/** The port the gateway image listens on ($PORT inside Code Engine). */
export const GATEWAY_PORT = 8080;

export function compileGatewayDeploy(
  config: LoadedConfig,
  runtimes: readonly DesiredResource[],
): Result<DesiredResource | undefined> {
  const deploy = config.gateway.deploy;
  if (!deploy) return { value: undefined, diags: [] };
  const backendConfig = config.backends[deploy.backend];
  const auth = config.gateway.auth;
  const token = deploy.token ?? (typeof auth === 'object' ? auth.tokens?.[0] : undefined);
  // The validator reports each of these with its source position; nothing to compile then.
  if (!backendConfig || backendConfig.type !== 'ibm_code_engine' || !token) return { value: undefined, diags: [] };

  const chosen = deploy.runtimes ? new Set(deploy.runtimes) : undefined;
  const served = runtimes
    .filter((d) => d.backend === deploy.backend && (!chosen || chosen.has(d.runtime)))
    .filter((d) => d.spec.transport.type !== 'stdio')
    .sort((a, b) => a.runtime.localeCompare(b.runtime));
  const upstreams: GatewayUpstreamSpec[] = served.map((d) => ({
    runtime: d.runtime,
    transport: d.spec.transport.type === 'sse' ? 'sse' : 'streamable-http',
    path: d.spec.transport.path ?? '/mcp',
  }));
  const spec: RuntimeSpec = {
    catalog: 'contextforge-gateway',
    source: { type: 'docker', image: deploy.image, pull: 'missing' },
    transport: { type: 'streamable-http', port: GATEWAY_PORT, path: '/mcp' },
    env: {},
    secretDigests: {
      [GATEWAY_TOKEN_ENV]: secretDigest({
        stack: config.stack,
        runtime: GATEWAY_APP_RUNTIME,
        name: GATEWAY_TOKEN_ENV,
        value: token,
      }),
    },
    // The gateway is the product itself, not a third-party server: no profile confines it.
    guardrails: {
      profile: 'gateway',
      egressAllowed: true,
      allowedHosts: [],
      ingressPorts: [GATEWAY_PORT],
      readOnlyRoot: false,
      allowedMounts: [],
      dropAll: false,
      capAdd: [],
      maxCpu: parseCpu(deploy.resources?.cpu ?? '0.25'),
      maxMemory: parseMemory(deploy.resources?.memory ?? '1G'),
      strict: false,
    },
    scale: { min: deploy.min_scale ?? 1, max: 1 },
    // Public on purpose: its token protects it, and it is the one way in to `project` runtimes.
    visibility: 'public',
    restart: 'always',
    labels: {},
    gatewayUpstreams: upstreams,
  };
  const file = config.path;
  return {
    value: {
      address: GATEWAY_DEPLOY_ADDRESS,
      runtime: GATEWAY_APP_RUNTIME,
      backend: deploy.backend,
      backendType: 'ibm_code_engine',
      spec,
      secretEnv: { [GATEWAY_TOKEN_ENV]: token },
      specHash: hashOf(spec),
      dependsOn: served.map((d) => d.address).sort(),
      range: config.sourceMap.get(`${file}#/gateway/deploy`),
      diagnostics: [],
    },
    diags: [],
  };
}
