// Last-line redaction for everything a plan renderer or the engine prints or stores: a closure
// over the config's sensitive values (and the process's redaction set) around
// src/diag/redact.ts (the one implementation), plus a deep variant that also redacts keys.

import { redact } from '../diag/redact.js';

export type Redactor = (text: string) => string;

/** A redactor for the given sensitive values. */
export function makeRedactor(values: Iterable<string>): Redactor {
  const list = [...values];
  return (text: string): string => redact(text, list);
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
