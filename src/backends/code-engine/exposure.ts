// Safe exposure of Code Engine apps: a `public` app (Code Engine's default visibility,
// `local_public`) is an MCP server on the internet that anyone can call, since Code Engine puts
// no authentication in front of an app endpoint. Plan warns about each one (an error under
// `--strict` or a strict profile) unless the runtime is not on the internet (`project`,
// `private`) or says that the server authenticates its callers itself. Pure; no I/O.

import { error, warning, type Diagnostic } from '../../diag/diagnostic.js';
import { GATEWAY_DEPLOY_ADDRESS, type DesiredResource } from '../../model/resources.js';

/** The runtime label by which a config states that its public server authenticates callers. */
export const PUBLIC_AUTH_LABEL = 'contextforge.dev/public-endpoint';
export const PUBLIC_AUTH_VALUE = 'authenticated';

export function exposureDiagnostics(backend: string, desired: readonly DesiredResource[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const d of desired) {
    // The deployed gateway is public by design: it requires its token on every request.
    if (d.backend !== backend || d.address === GATEWAY_DEPLOY_ADDRESS) continue;
    const visibility = d.spec.visibility ?? 'public';
    if (visibility !== 'public') continue;
    if (d.spec.labels?.[PUBLIC_AUTH_LABEL] === PUBLIC_AUTH_VALUE) continue;
    const make = d.spec.guardrails.strict ? error : warning;
    out.push(
      make(
        'ce.public-unprotected',
        `runtime ${d.runtime} would be a public Code Engine app: an unauthenticated MCP server on the internet`,
        {
          address: d.address,
          range: d.range,
          detail:
            "Code Engine's public endpoints (visibility public, its default) accept every caller. Set `visibility: project` " +
            '(reachable only inside the Code Engine project: declare `gateway.deploy` to run the gateway there, with its token, ' +
            'as the one way in) or `private` (IBM private ' +
            `network), or, if the server checks credentials itself, label the runtime \`${PUBLIC_AUTH_LABEL}: ${PUBLIC_AUTH_VALUE}\`.` +
            (d.spec.guardrails.strict ? ' This is an error because the profile is strict or --strict was given.' : ''),
        },
      ),
    );
  }
  return out;
}
