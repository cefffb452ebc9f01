// Finds secrets in raw YAML text before (or without) parsing it: the values of secret-looking
// keys, the blocks below them and the variables they interpolate. Feeds the process's redaction
// set, so that a file that does not parse still has its secrets masked. Reads no files.

import { parse as parseYamlScalar } from '../vendor/yaml.js';
import { secrets } from '../diag/redact.js';
import { editDistance } from '../diag/suggest.js';

/**
 * A key whose value is presumably a secret wherever it appears: `api_key`, `token(s)`,
 * `password`, `jwt_secret`, `secrets`, `GITHUB_PERSONAL_ACCESS_TOKEN`… (not `token_env`,
 * `tokens_file`: those name where a secret is, not the secret).
 */
export const SECRET_KEY =
  /(?:api_?key|apikey|access_?key|private_?key|auth_?key|token|password|passwd|passphrase|pwd|secret|credentials?|bearer|cookie|signature)s?$/i;

/** Secret keys of the config's own schema: a misspelling of one (`api_kye`) is still treated as one. */
const SECRET_NAMES = ['api_key', 'token', 'tokens', 'secrets', 'jwt_secret', 'password'];

/** Answers of secretLookingKey by key: a config repeats the same few keys in every file and entry. */
const lookingSecret = new Map<string, boolean>();

/** True for a key that looks secret or is one edit (two for long names) from a secret key. */
export function secretLookingKey(key: string): boolean {
  let answer = lookingSecret.get(key);
  if (answer === undefined) {
    answer = SECRET_KEY.test(key) || nearSecretName(key);
    // Bounded: a hostile file may hold any number of distinct keys.
    if (lookingSecret.size < 10_000) lookingSecret.set(key, answer);
  }
  return answer;
}

function nearSecretName(key: string): boolean {
  if (key.length < 5 || key.length > 14) return false;
  const k = key.toLowerCase();
  return SECRET_NAMES.some((n) => Math.abs(n.length - k.length) <= 2 && editDistance(k, n) <= (n.length >= 8 ? 2 : 1));
}

/** One `key: value` or flow-mapping pair whose key looks secret, found in raw source text. */
const PAIR =
  /(?:^|[\s{,[?])(?:"([^"\\\n]{1,200})"|'([^'\n]{1,200})'|([A-Za-z0-9_.-]{1,200}))\s*:(?=\s|$|["'{[])[ \t]*("(?:[^"\\]|\\.)*"?|'(?:[^']|'')*'?|\[[^\]\n]*\]?|[^\n,}\]#]*)/g;

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
    if (
      blockIndent >= 0 &&
      (blank || indent > blockIndent || (indent === blockIndent && line.trimStart().startsWith('- ')))
    ) {
      secret = !blank;
      if (secret) collectInline(line.replace(/^\s*(?:-\s+)?(?:[^\s:]+:\s*)?/, ''), out);
    } else {
      blockIndent = -1;
      const lead = /^\s*(?:-\s+)*/.exec(line)![0].length;
      for (const m of line.matchAll(PAIR)) {
        const key = m[1] ?? m[2] ?? m[3] ?? '';
        if (!secretLookingKey(key)) continue;
        secret = true;
        const value = m[4].trim();
        // Lines indented below a block key continue its value (a block, a folded plain scalar).
        if (m.index + m[0].search(/["'A-Za-z0-9_.-]/) === lead) blockIndent = indent;
        if (value !== '' && !/^[|>]/.test(value)) collectInline(value, out);
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
  // A template is no secret itself: what it interpolates is (the variables, collected apart).
  if (v === '' || v.includes('${')) return;
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
 * Fills the redaction set from a file's raw text before it is parsed: the values of its
 * secret-looking keys and of the variables they interpolate, and the lines themselves (masked
 * in excerpts). Whether the file parses or not: a misspelt key (`api_kye: …`) or an `env`
 * entry named like a token is outside every secret position the structure knows.
 */
export function preScanSecrets(
  text: string,
  file: string,
  env: Record<string, string | undefined>,
  /** scanSecretLines(text) when already known (a shipped file's, recorded at build time). */
  found: SecretLines = scanSecretLines(text),
): void {
  for (const name of found.variables) secrets.add(env[name]);
  // A variable named like a credential (`IBM_CLOUD_API_KEY`, `GITHUB_TOKEN`) is a secret wherever
  // the file interpolates it: a pull request that moves `${IBM_CLOUD_API_KEY}` into a plain field
  // (`backend:`, an env value) must not get it echoed by a diagnostic or a plan line.
  for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]{0,200})/g)) {
    if (SECRET_KEY.test(m[1]!)) secrets.add(env[m[1]!]);
  }
  // Guessed values must be long enough not to shred unrelated output.
  secrets.addAll(found.values.filter((v) => v.length >= 8));
  for (const l of found.lines) secrets.maskLines(file, l);
}
