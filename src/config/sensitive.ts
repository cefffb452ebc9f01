// Decides which values of a config are sensitive: runtime secrets, env values whose catalog
// spec says `secret: true`, Code Engine api keys, gateway tokens and JWT secrets, the GitHub
// token, and every variable value interpolated into one of those; also, before a file is
// parsed, the values of keys that look secret. Collection only: it fills the process's one
// redaction set (src/diag/redact.ts), which every output sink applies.

import { parse as parseYamlScalar } from 'yaml';
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
      if (raw !== '' && !raw.includes('\n')) out.add(/^(["']).*\1$/s.test(raw) ? raw.slice(1, -1) : raw);
    }
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
  secrets.addAll(out);
  return out;
}

/**
 * A key whose value is presumably a secret wherever it appears: `api_key`, `token(s)`,
 * `password`, `jwt_secret`, `secrets`, `GITHUB_PERSONAL_ACCESS_TOKEN`… (not `token_env`,
 * `tokens_file`: those name where a secret is, not the secret).
 */
export const SECRET_KEY = /(?:api_?key|apikey|access_?key|private_?key|auth_?key|token|password|passwd|passphrase|pwd|secret|credentials?|bearer|cookie|signature)s?$/i;

/** One `key: value` or flow-mapping pair whose key looks secret, found in raw source text. */
const PAIR = /(?:^|[\s{,[?])(?:"([^"\\\n]{1,200})"|'([^'\n]{1,200})'|([A-Za-z0-9_.-]{1,200}))\s*:(?=\s|$|["'{[])[ \t]*("(?:[^"\\]|\\.)*"?|'(?:[^']|'')*'?|\[[^\]\n]*\]?|[^\n,}\]#]*)/g;

export interface SecretLines {
  /** 1-based numbers of the lines that hold (or continue) the value of a secret-looking key. */
  lines: number[];
  /** The values written on those lines, decoded where they are quoted. */
  values: string[];
  /** Names of the variables referenced by `${VAR}` on those lines. */
  variables: string[];
}

/**
 * Scans raw YAML text, without parsing it (it may not parse), for secret-looking keys: their
 * inline values, the block below them (a list of tokens, a `secrets:` mapping, a `|` scalar),
 * and the variables they interpolate.
 */
export function scanSecretLines(text: string): SecretLines {
  const out: SecretLines = { lines: [], values: [], variables: [] };
  const lines = text.split('\n');
  let blockIndent = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].length > 100_000 ? lines[i].slice(0, 100_000) : lines[i];
    const indent = line.length - line.trimStart().length;
    const blank = line.trim() === '' || line.trimStart().startsWith('#');
    let secret = false;
    if (blockIndent >= 0 && (blank || indent > blockIndent || (indent === blockIndent && line.trimStart().startsWith('- ')))) {
      secret = !blank;
      if (secret) collectInline(line.replace(/^\s*(?:-\s+)?(?:[^\s:]+:\s*)?/, ''), out);
    } else {
      blockIndent = -1;
      for (const m of line.matchAll(PAIR)) {
        const key = m[1] ?? m[2] ?? m[3] ?? '';
        if (!SECRET_KEY.test(key)) continue;
        secret = true;
        const value = m[4].trim();
        if (value === '' || /^[|>]/.test(value)) blockIndent = indent;
        else collectInline(value, out);
      }
    }
    if (secret) {
      out.lines.push(i + 1);
      for (const v of line.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) out.variables.push(v[1]);
    }
  }
  return out;
}

function collectInline(value: string, out: SecretLines): void {
  const v = value.trim();
  if (v === '' || v.startsWith('${')) return;
  if (v.startsWith('[')) {
    for (const item of v.replace(/^\[|\]$/g, '').split(',')) collectInline(item, out);
    return;
  }
  out.values.push(v);
  if (/^["']/.test(v)) {
    out.values.push(v.slice(1, v.length > 1 && v.endsWith(v[0]) ? -1 : undefined));
    try {
      const decoded: unknown = parseYamlScalar(v);
      if (typeof decoded === 'string' || typeof decoded === 'number') out.values.push(String(decoded));
    } catch {
      // An unterminated or malformed quote: the raw spellings above are what could be printed.
    }
  }
}

/**
 * Fills the redaction set from a file's raw text before it is parsed: the values of the
 * variables its secret-looking keys interpolate always, and, when the file does not parse
 * (`parsed: false`), the literal values and the lines themselves (masked in excerpts).
 */
export function preScanSecrets(text: string, file: string, env: Record<string, string | undefined>, parsed: boolean): void {
  const found = scanSecretLines(text);
  for (const name of found.variables) secrets.add(env[name]);
  if (parsed) return;
  // Guessed values must be long enough not to shred unrelated output.
  secrets.addAll(found.values.filter((v) => v.length >= 6));
  for (const l of found.lines) secrets.maskLines(file, l);
}
