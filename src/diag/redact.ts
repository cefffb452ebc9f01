// Redaction of sensitive values from any text about to leave the process (terminal, JSON,
// logs). It owns the process's one set of secrets (values and the source lines that hold them)
// and every spelling a value can take in output; it never decides what is secret (config/).

/** What a redacted value is replaced with. */
export const REDACTED = '(sensitive)';

/** Values shorter than this are not redacted: they would shred unrelated text ("1", "on"). */
export const MIN_REDACT_LENGTH = 4;

/**
 * The spellings a value can take in printed output: raw, JSON/YAML double-quoted escapes (also
 * ASCII-only and doubly escaped, for JSON inside a JSON string), YAML single-quoted, the
 * terminal escaping of render.ts, URL and base64 encodings, and canonical numeric forms.
 */
export function spellings(value: string): string[] {
  const out = new Set<string>([value]);
  const json = JSON.stringify(value).slice(1, -1);
  out.add(json);
  out.add(JSON.stringify(json).slice(1, -1));
  out.add(json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  out.add(value.replace(/'/g, "''"));
  out.add(escapeControl(value));
  out.add(value.replace(/\t/g, ' '));
  try {
    out.add(encodeURIComponent(value));
  } catch {
    // A lone surrogate cannot be URL-encoded; the other spellings still apply.
  }
  if (value.length >= 8) out.add(Buffer.from(value, 'utf8').toString('base64').replace(/=+$/, ''));
  const n = Number(value);
  // A numeric secret is printed in its canonical form (`1e21` as `1000000000000000000000`).
  if (/^[\s+-]*[0-9.]/.test(value) && Number.isFinite(n) && String(n).length >= 6) out.add(String(n));
  return [...out].filter((s) => s.length >= MIN_REDACT_LENGTH);
}

/**
 * Escapes C0/C1 control characters (ANSI escapes, CR, NUL, DEL, …) and line/paragraph
 * separators so that printed text can neither move the cursor nor hide what precedes it. Tabs
 * and newlines are kept unless `all` is set (then they are escaped too: keys, values, paths).
 */
export function escapeControl(text: string, all = false): string {
  const re = all
    ? /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
    : /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
  return text.replace(re, controlName);
}

/** The printed form of one control character: `\u001b`, valid inside JSON strings as well. */
export function controlName(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function regexEscape(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/**
 * Any printed piece of a secret at least this long counts as the secret: messages quote parts
 * of values (`"abcdefgh..."`, the text after a `${`), and a mutated line holds pieces of one.
 */
export const FRAGMENT_LENGTH = 16;

/** A set of secret values with a matcher over all their spellings, rebuilt when it grows. */
export class SecretSet {
  private readonly values = new Set<string>();
  /** File → line numbers (1-based) whose source text must never be shown. */
  private readonly lines = new Map<string, Set<number>>();
  /** Files none of whose lines may be shown beyond their key (`.env`). */
  private readonly files = new Set<string>();
  private matcher: RegExp | null | undefined;
  /** Every FRAGMENT_LENGTH-character window of every spelling → the spellings and offsets. */
  private windows: Map<string, [string, number][]> | undefined;

  /** Adds a value (numbers by their text); short values are ignored, see MIN_REDACT_LENGTH. */
  add(value: unknown): void {
    const s =
      typeof value === 'string'
        ? value
        : typeof value === 'number' || typeof value === 'bigint'
          ? String(value)
          : undefined;
    if (s === undefined || s.length < MIN_REDACT_LENGTH || this.values.has(s)) return;
    // Keywords are no secret, and redacting them would break every JSON document printed.
    if (/^(true|false|null|undefined|yes|no|on|off)$/i.test(s.trim())) return;
    this.values.add(s);
    // A value with surrounding blanks is also printed trimmed.
    if (s.trim() !== s && s.trim().length >= MIN_REDACT_LENGTH) this.values.add(s.trim());
    this.matcher = undefined;
    this.windows = undefined;
  }

  addAll(values: Iterable<unknown> | undefined): void {
    for (const v of values ?? []) this.add(v);
  }

  /**
   * Forgets every value and masked line. For a harness that runs many CLI invocations in one
   * process: each must redact only what its own input declares, as a fresh process would.
   */
  clear(): void {
    this.values.clear();
    this.lines.clear();
    this.files.clear();
    this.matcher = undefined;
    this.windows = undefined;
  }

  /** Marks source lines [from, to] of a file as holding a secret. */
  maskLines(file: string, from: number, to = from): void {
    let set = this.lines.get(file);
    if (!set) this.lines.set(file, (set = new Set()));
    for (let l = from; l <= to && l - from < 100_000; l++) set.add(l);
  }

  /** Marks every line of a file as holding a secret after its key (a `.env` file). */
  maskFile(file: string): void {
    this.files.add(file);
  }

  isMasked(file: string, line: number): boolean {
    return this.files.has(file) || (this.lines.get(file)?.has(line) ?? false);
  }

  get size(): number {
    return this.values.size;
  }

  [Symbol.iterator](): IterableIterator<string> {
    return this.values.values();
  }

  private regex(): RegExp | null {
    if (this.matcher === undefined) {
      const all = new Set<string>();
      for (const v of this.values) for (const s of spellings(v)) all.add(s);
      // Longest first, so that a secret containing another secret is replaced whole.
      const list = [...all].sort((a, b) => b.length - a.length);
      this.matcher = list.length ? new RegExp(list.map(regexEscape).join('|'), 'g') : null;
    }
    return this.matcher;
  }

  private windowTable(): Map<string, [string, number][]> {
    if (this.windows === undefined) {
      const table = new Map<string, [string, number][]>();
      for (const v of this.values) {
        for (const s of spellings(v)) {
          for (let i = 0; i + FRAGMENT_LENGTH <= s.length; i++) {
            const w = s.slice(i, i + FRAGMENT_LENGTH);
            const list = table.get(w);
            if (list) list.push([s, i]);
            else table.set(w, [[s, i]]);
          }
        }
      }
      this.windows = table;
    }
    return this.windows;
  }

  /**
   * The [start, end) ranges of the text that are pieces of a secret of FRAGMENT_LENGTH or
   * more, each grown as far as the text keeps following the secret. Linear in the text: one
   * table look-up per position.
   */
  private fragments(text: string, first = false): [number, number][] {
    const table = this.windowTable();
    const out: [number, number][] = [];
    if (table.size === 0) return out;
    let floor = 0;
    for (let i = 0; i + FRAGMENT_LENGTH <= text.length;) {
      const hits = table.get(text.slice(i, i + FRAGMENT_LENGTH));
      if (!hits) {
        i++;
        continue;
      }
      let start = i;
      let end = i + FRAGMENT_LENGTH;
      for (const [s, o] of hits) {
        let e = i + FRAGMENT_LENGTH;
        for (let k = o + FRAGMENT_LENGTH; e < text.length && k < s.length && text[e] === s[k]; k++) e++;
        let b = i;
        for (let q = o; b > floor && q > 0 && text[b - 1] === s[q - 1]; q--) b--;
        end = Math.max(end, e);
        start = Math.min(start, b);
      }
      out.push([start, end]);
      if (first) return out;
      floor = end;
      i = end;
    }
    return out;
  }

  contains(text: string): boolean {
    const re = this.regex();
    if (!re) return false;
    re.lastIndex = 0;
    return re.test(text) || this.fragments(text, true).length > 0;
  }

  redact(text: string): string {
    const re = this.regex();
    if (!re) return text;
    const whole = text.replace(re, REDACTED);
    const pieces = this.fragments(whole);
    if (pieces.length === 0) return whole;
    let out = '';
    let last = 0;
    for (const [a, b] of pieces) {
      out += whole.slice(last, a) + REDACTED;
      last = b;
    }
    return out + whole.slice(last);
  }
}

/** The process's one redaction set: the config loader fills it, every output sink reads it. */
export const secrets = new SecretSet();

const built = new WeakMap<object, { size: number; set: SecretSet }>();

/** The SecretSet for an iterable of values, cached per (unchanged) collection object. */
function asSet(sensitive: Iterable<string> | undefined): SecretSet | undefined {
  if (!sensitive || sensitive === secrets) return undefined;
  if (sensitive instanceof SecretSet) return sensitive;
  const size = sensitive instanceof Set ? sensitive.size : Array.isArray(sensitive) ? sensitive.length : -1;
  const hit = built.get(sensitive);
  if (hit && hit.size === size && size >= 0) return hit.set.size ? hit.set : undefined;
  const s = new SecretSet();
  s.addAll(sensitive);
  built.set(sensitive, { size, set: s });
  return s.size ? s : undefined;
}

/** Replaces every spelling of every sensitive value (given and process-wide) with `(sensitive)`. */
export function redact(text: string, sensitive?: Iterable<string>): string {
  return asSet(sensitive)?.redact(secrets.redact(text)) ?? secrets.redact(text);
}

/** True when the text holds any spelling of a sensitive value (given or process-wide). */
export function containsSecret(text: string, sensitive?: Iterable<string>): boolean {
  return secrets.contains(text) || (asSet(sensitive)?.contains(text) ?? false);
}

/** Deep copy of a JSON-like value with every string (and key) redacted. */
export function redactValue<T>(value: T, sensitive?: Iterable<string>): T {
  const set = asSet(sensitive);
  const red = (s: string): string => (set ? set.redact(secrets.redact(s)) : secrets.redact(s));
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return red(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[red(k)] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}
