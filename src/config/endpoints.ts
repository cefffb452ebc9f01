// Config-side check of credential-bearing endpoints: every override of iam_url, service_url, a
// docker host, github.base_url, the approval webhook_url or a remote source's URL with headers is an error unless the operator's
// policy (endpoint-policy.ts) allows its host. Pure apart from reading the operator allow-list
// from the process environment; the clients enforce the same rule again before any I/O.

import { error, type Diagnostic } from '../diag/diagnostic.js';
import type { ContextforgeConfig } from '../generated/config.js';
import { decideEndpoint, howToAllow, operatorAllowList, type EndpointKey } from './endpoint-policy.js';
import { pointerOf, rangeOf, type Located } from './records.js';
import type { ParsedYaml } from './yaml-source.js';

export interface EndpointCheckInput {
  doc: ContextforgeConfig;
  cfg: ParsedYaml;
  /** Default: the operator allow-list of this process (env + --allow-endpoint). */
  allow?: readonly string[];
}

interface Setting {
  key: EndpointKey;
  value: string;
  path: (string | number)[];
}

function settings(doc: ContextforgeConfig): Setting[] {
  const out: Setting[] = [];
  for (const [name, b] of Object.entries(doc.backends ?? {})) {
    const backend = b as { type?: string; iam_url?: unknown; service_url?: unknown; host?: unknown };
    if (backend.type === 'ibm_code_engine') {
      if (typeof backend.iam_url === 'string')
        out.push({ key: 'iam_url', value: backend.iam_url, path: ['backends', name, 'iam_url'] });
      if (typeof backend.service_url === 'string')
        out.push({ key: 'service_url', value: backend.service_url, path: ['backends', name, 'service_url'] });
    }
    if (backend.type === 'docker' && typeof backend.host === 'string')
      out.push({ key: 'docker.host', value: backend.host, path: ['backends', name, 'host'] });
  }
  if (typeof doc.github?.base_url === 'string')
    out.push({ key: 'github.base_url', value: doc.github.base_url, path: ['github', 'base_url'] });
  // A remote source with headers sends them (tokens, from the runtime's secrets) to its URL.
  (doc.catalog ?? []).forEach((entry, i) => {
    const src = (entry as { source?: { type?: string; url?: unknown; headers?: Record<string, unknown> } }).source;
    if (src?.type === 'remote' && typeof src.url === 'string' && Object.keys(src.headers ?? {}).length > 0)
      out.push({ key: 'remote.url', value: src.url, path: ['catalog', i, 'source', 'url'] });
  });
  const hook = doc.approval?.notification?.webhook_url;
  if (typeof hook === 'string')
    out.push({ key: 'webhook_url', value: hook, path: ['approval', 'notification', 'webhook_url'] });
  return out;
}

export function checkEndpoints(input: EndpointCheckInput): Diagnostic[] {
  const allow = input.allow ?? operatorAllowList();
  const root: Located = { parsed: input.cfg, pointer: '' };
  const diags: Diagnostic[] = [];
  for (const s of settings(input.doc)) {
    const d = decideEndpoint(s.key, s.value, allow);
    if (d.allowed) continue;
    diags.push(
      error('endpoint.not-allowed', `${s.path.join('.')} points at ${d.host}, which may not receive credentials`, {
        detail: `${d.why[0].toUpperCase()}${d.why.slice(1)}. Endpoints that receive API keys, tokens or secret data are the operator's decision, not the config's. ${howToAllow(d.host)}`,
        range: rangeOf(root, s.path),
        pointer: pointerOf(root, s.path),
      }),
    );
  }
  return diags;
}
