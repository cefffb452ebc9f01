// Naming rules for federation: federated tool/prompt names within the MCP tool-name pattern,
// collision-marked resource URIs, and glob matching for virtual servers.
// Pure functions only; routing tables are built in catalog.ts.
import { createHash } from 'node:crypto';

/** The MCP tool-name pattern that every federated name must satisfy. */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_NAME = 64;
const HASH_LEN = 6;

/** Short stable hash used when a name has to be shortened or disambiguated. */
export function shortHash(input: string): string {
  return createHash('sha256').update(input).digest('hex').slice(0, HASH_LEN);
}

/** Replaces every character outside [a-zA-Z0-9_-] with '-'; an empty result becomes 'x'. */
export function sanitizeName(raw: string): string {
  const s = raw.replace(/[^a-zA-Z0-9_-]/g, '-');
  return s.length > 0 ? s : 'x';
}

/**
 * `<runtime><sep><name>`, sanitized. When the result is longer than 64 characters it is cut to
 * 57 and ends with '-' plus six hex characters of sha256("runtime\0name"), so it stays stable
 * across restarts and unique in practice. The routing table maps it back to the original name.
 */
export function federatedName(runtime: string, name: string, sep: string): string {
  const full = `${sanitizeName(runtime)}${sep}${sanitizeName(name)}`;
  if (full.length <= MAX_NAME) return full;
  return `${full.slice(0, MAX_NAME - HASH_LEN - 1)}-${shortHash(`${runtime}\0${name}`)}`;
}

/** Makes a name unique after a collision, keeping it within 64 characters. */
export function disambiguate(name: string, runtime: string, original: string): string {
  const suffix = `-${shortHash(`${runtime}\0${original}`)}`;
  return `${name.slice(0, MAX_NAME - suffix.length)}${suffix}`;
}

/** Checks a separator: it must itself fit the tool-name alphabet. */
export function validSeparator(sep: string): boolean {
  return /^[a-zA-Z0-9_-]{1,8}$/.test(sep);
}

/**
 * Resource URIs are kept as the upstream gives them. When two upstreams expose the same URI (or
 * URI template), every copy is exposed as `cf-<runtime>+<uri>`: `cf-<runtime>+<scheme>` is still
 * a valid URI scheme (letters, digits, '+', '-', '.'), so clients accept it, and the marker tells
 * the gateway where to route. The marker is accepted on reads even without a collision.
 */
export function markedUri(runtime: string, uri: string): string {
  return `${uriMarker(runtime)}${uri}`;
}

export function uriMarker(runtime: string): string {
  const scheme = runtime.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
  return `cf-${scheme}+`;
}

/** Compiles glob patterns (`*` any run, `?` one character) into one predicate. */
export function globMatcher(patterns: readonly string[] | undefined): (name: string) => boolean {
  if (!patterns || patterns.length === 0) return () => false;
  const res = patterns.map((p) => {
    const body = p
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    return new RegExp(`^${body}$`);
  });
  return (name) => res.some((r) => r.test(name));
}
