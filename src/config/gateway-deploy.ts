// Semantic checks of `gateway.deploy` (the gateway run as a Code Engine app), which JSON Schema
// cannot express: the backend exists and is a Code Engine backend, the runtimes it serves exist,
// run on that backend and speak HTTP, a token is given, and no runtime takes the gateway's app
// name. Runs only on schema-valid input; no I/O. The compiler (plan/gateway-deploy.ts) relies on it.

import { error, type Diagnostic } from '../diag/diagnostic.js';
import type { ContextforgeConfig } from '../generated/config.js';
import { ownValue, rangeOf, type EntryRecord, type Located } from './records.js';
import type { ParsedYaml } from './yaml-source.js';

/** The runtime name the gateway app takes in its backend's naming scheme. */
export const GATEWAY_APP_RUNTIME = 'gateway';

export interface GatewayDeployInput {
  doc: ContextforgeConfig;
  cfg: ParsedYaml;
  catalog: Map<string, EntryRecord>;
  /** "unknown <what>" diagnostics with a did-you-mean (semantic.ts's RefErrors). */
  unknown(code: string, what: string, name: string, known: string[], extra: Partial<Diagnostic>): Diagnostic;
}

export function checkGatewayDeploy(input: GatewayDeployInput): Diagnostic[] {
  const { doc, cfg } = input;
  const deploy = doc.gateway?.deploy;
  if (!deploy) return [];
  const diags: Diagnostic[] = [];
  const loc: Located = { parsed: cfg, pointer: '/gateway/deploy' };
  const backends = doc.backends ?? {};
  const backend = ownValue(backends, deploy.backend);
  if (!backend) {
    diags.push(
      input.unknown('ref.unknown-backend', 'backend', deploy.backend, Object.keys(backends), {
        range: rangeOf(loc, ['backend']),
      }),
    );
  } else if (backend.type !== 'ibm_code_engine') {
    const ce = Object.entries(backends).filter(([, b]) => b.type === 'ibm_code_engine');
    diags.push(
      error(
        'gateway.deploy-backend',
        `gateway.deploy needs a Code Engine backend; "${deploy.backend}" is of type ${backend.type}`,
        {
          range: rangeOf(loc, ['backend']),
          detail: ce.length
            ? `Name one of the ibm_code_engine backends (${ce.map(([n]) => n).join(', ')}). On ${backend.type} the gateway runs locally (contextforge serve or up).`
            : `Define a backend of type ibm_code_engine for the gateway app. On ${backend.type} the gateway runs locally (contextforge serve or up).`,
        },
      ),
    );
  }
  const token = deploy.token ?? (typeof doc.gateway?.auth === 'object' ? doc.gateway.auth.tokens?.[0] : undefined);
  if (token === undefined)
    diags.push(
      error('gateway.deploy-token', 'gateway.deploy has no token', {
        range: rangeOf(loc, [], 'key'),
        detail:
          'The gateway app is public and never runs without auth: set gateway.deploy.token (use ${VAR}; it is kept in a Code Engine secret) or gateway.auth.tokens.',
      }),
    );

  const runtimes = doc.runtimes ?? [];
  const byName = new Map(runtimes.map((r) => [r.name, r]));
  const clash = runtimes.findIndex((r) => r.name === GATEWAY_APP_RUNTIME && r.backend === deploy.backend);
  if (clash >= 0)
    diags.push(
      error('gateway.deploy-name-taken', `runtime "${GATEWAY_APP_RUNTIME}" would take the gateway app's name`, {
        range: rangeOf({ parsed: cfg, pointer: `/runtimes/${clash}` }, ['name']),
        detail: `With gateway.deploy on backend ${deploy.backend}, the gateway app is named like a runtime called "${GATEWAY_APP_RUNTIME}"; rename that runtime.`,
      }),
    );
  (deploy.runtimes ?? []).forEach((name, j) => {
    const at = rangeOf(loc, ['runtimes', j]);
    const rt = byName.get(name);
    if (!rt) {
      diags.push(input.unknown('ref.unknown-runtime', 'runtime', name, [...byName.keys()], { range: at }));
      return;
    }
    if (rt.backend !== deploy.backend) {
      diags.push(
        error('gateway.deploy-runtime', `runtime "${name}" runs on backend ${rt.backend}, not ${deploy.backend}`, {
          range: at,
          detail: `The gateway app reaches runtimes of its own Code Engine project only; move "${name}" to backend ${deploy.backend} or leave it out.`,
        }),
      );
      return;
    }
    const entry = input.catalog.get(rt.catalog)?.entry;
    const transport = entry?.transport?.type ?? (entry?.source.type === 'command' ? 'stdio' : 'streamable-http');
    if (entry && transport === 'stdio')
      diags.push(
        error('gateway.deploy-runtime', `runtime "${name}" speaks stdio, which the gateway app cannot reach`, {
          range: at,
          detail: 'Only runtimes with an HTTP transport (streamable-http or sse) can be served by the gateway app.',
        }),
      );
    if (rt.enabled === false)
      diags.push(
        error('gateway.deploy-runtime', `runtime "${name}" is disabled`, {
          range: at,
          detail: `Leave "${name}" out of gateway.deploy.runtimes, or enable it.`,
        }),
      );
  });
  return diags;
}
