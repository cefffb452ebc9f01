// Which hosts may receive credentials: the one rule, used by config validation (endpoints.ts)
// and again by every HTTP client at the point of use (Code Engine transport, webhook poster,
// git credentials, Docker tcp host, the gateway's remote upstreams). The operator's allow-list comes from the process
// environment or a CLI flag only, never from the config or its .env, which a pull request edits.

/** The config keys whose value names a host that receives a credential or secret data. */
export type EndpointKey =
  | 'iam_url'
  | 'service_url'
  | 'docker.host'
  | 'github.base_url'
  | 'webhook_url'
  /** A remote source's URL when it has headers (filled from the runtime's secrets by the gateway). */
  | 'remote.url';

/** The operator-side allow-list: comma- or space-separated hosts, host:port, *.suffix or URLs. */
export const ALLOW_ENV = 'CONTEXTFORGE_ALLOWED_ENDPOINTS';

/**
 * Hosts allowed without the operator's say: exactly these names. Other 127.0.0.0/8 addresses
 * are deliberately not included: loopback-range addresses can be bound by anything on the
 * runner, and a pull request must not be able to pick one the operator never chose.
 */
const LOOPBACK = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);

/** The vendor's own hosts per key, reached over https only. */
const VENDOR: Record<EndpointKey, (host: string) => boolean> = {
  iam_url: (h) => h === 'cloud.ibm.com' || h.endsWith('.cloud.ibm.com'),
  service_url: (h) => h.endsWith('.cloud.ibm.com'),
  'github.base_url': (h) => h === 'github.com' || h === 'api.github.com',
  'docker.host': () => false,
  webhook_url: () => false,
  'remote.url': () => false,
};

export type EndpointDecision =
  | { allowed: true; why: 'vendor' | 'loopback' | 'allow-list' | 'local-path' }
  | { allowed: false; host: string; why: string };

/** Parses the allow-list (lower-cased host or host:port patterns). */
export function parseAllowList(text: string | undefined): string[] {
  if (!text) return [];
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)
    .map((s) => {
      if (!/^[a-z][a-z0-9+.-]*:\/\//.test(s)) return s;
      try {
        return new URL(s).host;
      } catch {
        return s;
      }
    });
}

let flagEntries: string[] = [];

/** Adds entries given on the command line (`--allow-endpoint`); the env is read on every call. */
export function allowEndpointsFromFlag(values: readonly string[]): void {
  flagEntries = [...flagEntries, ...values.flatMap((v) => parseAllowList(v))];
}

/** The effective operator allow-list: the environment plus any CLI flag. */
export function operatorAllowList(env: NodeJS.ProcessEnv = process.env): string[] {
  return [...parseAllowList(env[ALLOW_ENV]), ...flagEntries];
}

function hostMatches(pattern: string, host: string, hostPort: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host || pattern === hostPort;
}

/** Host (and host:port) a URL or scp-like git address talks to; undefined for a local path. */
export function endpointHost(value: string): { host: string; hostPort: string; protocol: string } | undefined {
  const scp = /^[\w.-]+@([\w.-]+):/.exec(value);
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(value))
    return { host: scp[1].toLowerCase(), hostPort: `${scp[1].toLowerCase()}:22`, protocol: 'ssh:' };
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return undefined;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return { host: value, hostPort: value, protocol: 'invalid:' };
  }
  if (u.protocol === 'file:') return undefined;
  const host = u.hostname.toLowerCase();
  const port =
    u.port ||
    ({ 'https:': '443', 'http:': '80', 'ssh:': '22', 'tcp:': '2375' } as Record<string, string>)[u.protocol] ||
    '';
  return { host, hostPort: port ? `${host}:${port}` : host, protocol: u.protocol };
}

/** Whether `value` (the setting of `key`) may receive credentials. */
export function decideEndpoint(
  key: EndpointKey,
  value: string,
  allow: readonly string[] = operatorAllowList(),
): EndpointDecision {
  const target = endpointHost(value);
  if (!target) return { allowed: true, why: 'local-path' };
  const { host, hostPort, protocol } = target;
  if (LOOPBACK.has(host)) return { allowed: true, why: 'loopback' };
  if (allow.some((p) => hostMatches(p, host, hostPort))) return { allowed: true, why: 'allow-list' };
  if (VENDOR[key](host)) {
    if (protocol === 'https:' || (key === 'github.base_url' && protocol === 'ssh:'))
      return { allowed: true, why: 'vendor' };
    return {
      allowed: false,
      host: hostPort,
      why: `the vendor's host is reached over https only, not ${protocol.replace(/:$/, '')}`,
    };
  }
  return {
    allowed: false,
    host: hostPort,
    why: `${hostPort} is neither the vendor's host nor loopback, and is not in the operator's allow-list`,
  };
}

/** The fix, in one sentence, for a refused endpoint. */
export function howToAllow(host: string): string {
  return `An operator allows it outside the config: set ${ALLOW_ENV}=${host} in the environment of the run, or pass --allow-endpoint ${host} (a pull request cannot change either).`;
}

/** Raised by a client asked to send credentials to a host not allowed: a bug, since validation refuses it first. */
export class EndpointRefusedError extends Error {
  readonly key: EndpointKey;
  readonly host: string;
  constructor(key: EndpointKey, host: string, why: string) {
    super(`refusing to send credentials to ${host} (${key}): ${why}. ${howToAllow(host)}`);
    this.name = 'EndpointRefusedError';
    this.key = key;
    this.host = host;
  }
}

/** Throws EndpointRefusedError unless `value` may receive credentials; for clients, right before I/O. */
export function assertEndpointAllowed(key: EndpointKey, value: string): void {
  const d = decideEndpoint(key, value);
  if (!d.allowed) throw new EndpointRefusedError(key, d.host, d.why);
}
