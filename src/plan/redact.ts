// Last-line redaction for everything a plan renderer or the engine prints or stores: replaces
// every known sensitive value with `(sensitive)`. Integration point: when src/diag/ gains the
// config loader's shared `redact`, this module should delegate to it; the call sites stay.

import { SENSITIVE } from './fields.js';

export type Redactor = (text: string) => string;

/** Values shorter than this are not redacted: they would mangle ordinary words and digits. */
const MIN_LENGTH = 4;

/** A redactor for the given sensitive values (longest first so that substrings don't split them). */
export function makeRedactor(values: Iterable<string>): Redactor {
  const list = [...new Set([...values].filter((v) => typeof v === 'string' && v.length >= MIN_LENGTH))].sort((a, b) => b.length - a.length);
  if (list.length === 0) return (text) => text;
  return (text: string): string => {
    let out = text;
    for (const v of list) if (out.includes(v)) out = out.split(v).join(SENSITIVE);
    return out;
  };
}

/** Applies a redactor to every string inside a JSON-like value (keys included). */
export function redactDeep<T>(value: T, redact: Redactor): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[redact(k)] = redactDeep(v, redact);
    return out as T;
  }
  return value;
}

export const identityRedactor: Redactor = (text) => text;
