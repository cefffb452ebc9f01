// Decides which values of a config are sensitive: runtime secrets, env values whose catalog
// spec says `secret: true`, Code Engine api keys, gateway tokens and JWT secrets, the GitHub
// token, and every variable value interpolated into one of those. Collection only; the
// renderers redact them (src/diag/redact.ts).

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
    if (typeof value === 'string' && value !== '') out.add(value);
    for (const v of src.substituted.get(pointer) ?? []) if (v !== '') out.add(v);
  };
  const { doc, main } = input;
  const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const bySlug = new Map(input.entries.map((r) => [r.entry.slug, r.entry]));

  for (const [name, b] of Object.entries(obj(doc.backends))) {
    const key = obj(b).api_key;
    add(main, joinPointer('/backends', name, 'api_key'), key);
  }
  const auth = obj(obj(doc.gateway).auth);
  const tokens = Array.isArray(auth.tokens) ? auth.tokens : [];
  tokens.forEach((t, i) => add(main, `/gateway/auth/tokens/${i}`, t));
  add(main, '/gateway/auth/jwt_secret', auth.jwt_secret);
  add(main, '/github/token', obj(doc.github).token);

  const runtimes = Array.isArray(doc.runtimes) ? doc.runtimes : [];
  runtimes.forEach((rt, i) => {
    const r = obj(rt);
    for (const [k, v] of Object.entries(obj(r.secrets))) add(main, joinPointer(`/runtimes/${i}/secrets`, k), v);
    const entry = typeof r.catalog === 'string' ? bySlug.get(r.catalog) : undefined;
    for (const [k, v] of Object.entries(obj(r.env))) {
      if (entry?.env?.[k]?.secret) add(main, joinPointer(`/runtimes/${i}/env`, k), typeof v === 'string' ? v : String(v));
    }
  });

  // Secret defaults in catalog entries (inline ones live in the main file).
  for (const r of input.entries) {
    const src = r.parsed === main.parsed ? main : input.includeSources.find((s) => s.parsed === r.parsed);
    for (const [k, spec] of Object.entries(r.entry.env ?? {})) {
      if (spec.secret && src) add(src, joinPointer(r.pointer, 'env', k, 'default'), spec.default);
    }
  }
  return out;
}
