// Browser and DNS-rebinding defences for the HTTP gateway: which Origin and Host headers a
// request may carry, and the CORS headers an allowed origin gets. It decides only; http.ts
// writes the 403. Hand-written: the SDK's host check is Express middleware and its transport
// options cover only /mcp, while this must guard every endpoint (legacy SSE, /metrics) and
// knows the gateway's own listen address; the whole policy is a few set look-ups.
import { isIP } from 'node:net';

export interface RequestGuardOptions {
  /** The configured listen host (127.0.0.1, localhost, ::1, 0.0.0.0, a name or an address). */
  listenHost: string;
  /** The port actually bound (known only after listen, hence a function). */
  port: () => number;
  /** Extra origins, as scheme://host[:port]; compared after URL normalization. */
  allowedOrigins?: string[];
  /** Extra Host names (without port), compared case-insensitively. */
  allowedHosts?: string[];
}

export type OriginVerdict = 'absent' | 'allowed' | 'denied';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);
const WILDCARD = new Set(['0.0.0.0', '::', '[::]', '']);
/** Host headers whose verdict is remembered; past this many the memory starts over. */
const HOST_MEMORY = 64;

export class RequestGuard {
  private readonly origins: Set<string>;
  private readonly hosts: Set<string>;
  private readonly wildcard: boolean;
  /**
   * Verdicts by Host header as received: a client sends the same one on every request, and
   * parsing it as a URL is a measurable part of a relayed call. The verdict depends only on the
   * header and this guard's fixed options, and a Host header is no secret.
   */
  private readonly hostVerdicts = new Map<string, boolean>();

  constructor(private readonly o: RequestGuardOptions) {
    this.origins = new Set((o.allowedOrigins ?? []).map(normalizeOrigin).filter((x): x is string => x !== undefined));
    this.wildcard = WILDCARD.has(o.listenHost);
    this.hosts = new Set([
      ...LOOPBACK_NAMES,
      bracket(o.listenHost.toLowerCase()),
      ...(o.allowedHosts ?? []).map((h) => bracket(h.toLowerCase())),
    ]);
  }

  /**
   * A request without Origin comes from a non-browser client and passes. A browser request
   * passes when its origin is listed, or is the gateway itself on a loopback name and its port.
   */
  origin(header: string | string[] | undefined): OriginVerdict {
    if (header === undefined) return 'absent';
    if (Array.isArray(header)) return 'denied';
    const o = normalizeOrigin(header);
    if (o === undefined) return 'denied';
    if (this.origins.has(o)) return 'allowed';
    const u = new URL(o);
    const port = u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
    return u.protocol === 'http:' && LOOPBACK_NAMES.has(u.hostname) && port === this.o.port() ? 'allowed' : 'denied';
  }

  /**
   * DNS rebinding makes a browser send an attacker's name to a loopback address; only names
   * that are this listener's own pass: loopback forms, the listen host, gateway.allowed_hosts,
   * and, on a wildcard listener, any IP literal (an address cannot be rebound).
   */
  host(header: string | undefined): boolean {
    if (!header) return false;
    let ok = this.hostVerdicts.get(header);
    if (ok === undefined) {
      ok = this.hostAllowed(header);
      if (this.hostVerdicts.size >= HOST_MEMORY) this.hostVerdicts.clear();
      this.hostVerdicts.set(header, ok);
    }
    return ok;
  }

  private hostAllowed(header: string): boolean {
    const name = hostName(header);
    if (name === undefined) return false;
    if (this.hosts.has(name)) return true;
    return this.wildcard && isIP(name.replace(/^\[|\]$/g, '')) !== 0;
  }

  /** CORS response headers for an allowed browser origin (none for other requests). */
  corsHeaders(origin: string): Record<string, string> {
    return {
      'access-control-allow-origin': origin,
      'access-control-expose-headers': 'mcp-session-id, mcp-protocol-version, www-authenticate',
      vary: 'Origin',
    };
  }

  /** Headers answering a CORS preflight from an allowed origin. */
  preflightHeaders(origin: string): Record<string, string> {
    return {
      ...this.corsHeaders(origin),
      'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
      'access-control-allow-headers':
        'authorization, content-type, accept, mcp-session-id, mcp-protocol-version, last-event-id',
      'access-control-max-age': '600',
    };
  }
}

/** scheme://host[:port] in URL's canonical form, or undefined for "null" and anything unparsable. */
function normalizeOrigin(o: string): string | undefined {
  try {
    const u = new URL(o.trim());
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return u.origin;
  } catch {
    return undefined;
  }
}

/** The host part of a Host header, lowercased, IPv6 in brackets; undefined when malformed. */
function hostName(header: string): string | undefined {
  try {
    const u = new URL(`http://${header.trim()}`);
    if (u.username || u.password || u.pathname !== '/' || u.search || u.hash) return undefined;
    return u.hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

function bracket(h: string): string {
  return isIP(h) === 6 ? `[${h}]` : h;
}
