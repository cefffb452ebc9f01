// Canonical JSON and hashing for specs and fingerprints: keys sorted, undefined dropped, so that
// equal specs always hash equal. Pure; never hash secret values (callers pass digests).

import { createHash } from 'node:crypto';

/** JSON with object keys sorted recursively and undefined members dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortValue(value));
}

function sortValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortValue(v)));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as Record<string, unknown>).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortValue(v);
    }
    return out;
  }
  return value;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `sha256:<hex>` of the canonical JSON of value. */
export function hashOf(value: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(value))}`;
}

/** Prefix that keeps secret digests from being comparable with plain sha256 of a value. */
const SECRET_DIGEST_PREFIX = 'contextforge/secret-digest/v1';

/**
 * Digest of one secret value, bound to its stack, runtime and variable name so that the same
 * value in two places gives different digests. Truncated: it only needs to detect change.
 */
export function secretDigest(input: { stack: string; runtime: string; name: string; value: string }): string {
  const h = createHash('sha256');
  for (const part of [SECRET_DIGEST_PREFIX, input.stack, input.runtime, input.name, input.value]) {
    h.update(part);
    h.update('\0');
  }
  return `sha256:${h.digest('hex').slice(0, 24)}`;
}
