// Decides which values of a config are sensitive: runtime secrets, env values whose catalog
// spec says `secret: true`, Code Engine api keys, gateway tokens (gateway.deploy's too) and JWT secrets, the GitHub
// token, and every variable value interpolated into one of those (secret-scan.ts covers files
// before they parse). Collection only: it fills the process's one redaction set
// (src/diag/redact.ts), which every output sink applies.

import { secrets } from '../diag/redact.js';
import type { ContextforgeConfig } from '../generated/config.js';
import { joinPointer } from './pointer.js';
import type { EntryRecord } from './records.js';
import type { SourceFile } from './source-file.js';

export interface SensitiveInput {
  doc: ContextforgeConfig;
  main: SourceFile;
  entries: EntryRecord[];
  includeSources: SourceFile[];
}

export function collectSensitive(input: SensitiveInput): Set<string> {
  const out = new Set<string>();
  const add = (src: SourceFile, pointer: string, value: unknown): void => {
    // A number or boolean given where a secret belongs is still the secret (and a type error
    // would print it): its text and its source spelling are redacted, its lines never shown.
    if ((typeof value === 'string' && value !== '') || typeof value === 'number') out.add(String(value));
    const substituted = src.substituted.get(pointer) ?? [];
    for (const v of substituted) if (v !== '') out.add(v);
    const at = src.parsed.spans.get(pointer);
    if (!at) return;
    secrets.maskLines(at.value.file, at.value.start.line, at.value.end.line);
    if (substituted.length === 0 && value !== null && typeof value !== 'object') {
      const raw = src.parsed.text.slice(at.value.start.offset, at.value.end.offset).trim();
      if (raw !== '' && !raw.includes('\n') && !raw.includes('${'))
        out.add(/^(["']).*\1$/s.test(raw) ? raw.slice(1, -1) : raw);
    }
  };
  const { doc, main } = input;
  const obj = (v: unknown): Record<string, unknown> =>
    v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  const bySlug = new Map(input.entries.map((r) => [r.entry.slug, r.entry]));

  for (const [name, b] of Object.entries(obj(doc.backends))) {
    const key = obj(b).api_key;
    add(main, joinPointer('/backends', name, 'api_key'), key);
  }
  const auth = obj(obj(doc.gateway).auth);
  const tokens = Array.isArray(auth.tokens) ? auth.tokens : [];
  tokens.forEach((t, i) => add(main, `/gateway/auth/tokens/${i}`, t));
  add(main, '/gateway/auth/jwt_secret', auth.jwt_secret);
  add(main, '/gateway/deploy/token', obj(obj(doc.gateway).deploy).token);
  add(main, '/github/token', obj(doc.github).token);
  // The state database URL may carry a password: the URL and the password alone are both secret.
  const stateUrl = obj(doc.state).url;
  add(main, '/state/url', stateUrl);
  if (typeof stateUrl === 'string') {
    try {
      const password = decodeURIComponent(new URL(stateUrl).password);
      if (password) out.add(password);
    } catch {
      // Not a URL: the schema reports it; the whole value is already sensitive.
    }
  }

  const runtimes = Array.isArray(doc.runtimes) ? doc.runtimes : [];
  runtimes.forEach((rt, i) => {
    const r = obj(rt);
    for (const [k, v] of Object.entries(obj(r.secrets))) add(main, joinPointer(`/runtimes/${i}/secrets`, k), v);
    const entry = typeof r.catalog === 'string' ? bySlug.get(r.catalog) : undefined;
    for (const [k, v] of Object.entries(obj(r.env))) {
      if (entry?.env?.[k]?.secret)
        add(main, joinPointer(`/runtimes/${i}/env`, k), typeof v === 'string' ? v : String(v));
    }
  });

  // Secret defaults in catalog entries (inline ones live in the main file).
  for (const r of input.entries) {
    const src = r.parsed === main.parsed ? main : input.includeSources.find((s) => s.parsed === r.parsed);
    for (const [k, spec] of Object.entries(r.entry.env ?? {})) {
      if (spec.secret && src) add(src, joinPointer(r.pointer, 'env', k, 'default'), spec.default);
    }
  }
  secrets.addAll(out);
  return out;
}
