// Redaction of sensitive values from any text about to leave the process (terminal, JSON,
// logs). Every renderer calls redact() last; it must never be bypassed for user-facing output.

/** What a redacted value is replaced with. */
export const REDACTED = '(sensitive)';

/** Values shorter than this are not redacted: they would shred unrelated text ("1", "on"). */
export const MIN_REDACT_LENGTH = 4;

/** Replaces every occurrence of every sensitive value in `text` with `(sensitive)`. */
export function redact(text: string, sensitive: Iterable<string> | undefined): string {
  if (!sensitive) return text;
  const values = [...new Set(sensitive)].filter((v) => typeof v === 'string' && v.length >= MIN_REDACT_LENGTH);
  if (values.length === 0) return text;
  // Longest first, so that a secret containing another secret is replaced whole.
  values.sort((a, b) => b.length - a.length);
  let out = text;
  for (const v of values) {
    if (out.includes(v)) out = out.split(v).join(REDACTED);
  }
  return out;
}

/** Deep copy of a JSON-like value with every string redacted. */
export function redactValue<T>(value: T, sensitive: Iterable<string> | undefined): T {
  const set = sensitive ? [...sensitive] : [];
  if (set.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v, set);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}
