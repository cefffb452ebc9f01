// `${VAR}` interpolation over a parsed YAML value: `${VAR}`, `${VAR:-default}` (unset or
// empty), `${VAR-default}` (unset only), and `$${` for a literal `${`. Unset variables without
// a default are errors at the exact span of the expression. Only string values are touched,
// never keys; the parsed value is rewritten in place. No files, no process state (env is passed).

import { parse as parseYamlScalar } from '../vendor/yaml.js';
import { error, warning, type Diagnostic } from '../diag/diagnostic.js';
import { joinPointer } from './pointer.js';
import type { ParsedYaml } from './yaml-source.js';

export interface InterpolationResult {
  value: unknown;
  diags: Diagnostic[];
  /** Pointer → the variable values substituted into the string at that pointer. */
  substituted: Map<string, string[]>;
  /** Backend credentials left unset where the caller allowed it (see InterpolateOptions). */
  missingCredentials: Array<{ backend: string; variable: string }>;
}

export interface InterpolateOptions {
  /**
   * `plan` without cloud credentials (a pull-request job): an unset variable in a backend's
   * `api_key` is a warning, the key is left empty and the backend is not observed. Every other
   * command needs the key, so by default it is an error like any unset variable.
   */
  optionalCredentials?: boolean;
  /**
   * `destroy`: only the stack name, the backends and the state settings are needed to remove
   * what runs; an unset variable anywhere else (a runtime's token, a webhook URL) is a warning
   * and left empty instead of an error.
   */
  destroying?: boolean;
}

/** What destroy needs of a config: the stack name, how to reach the backends, where state is. */
const DESTROY_NEEDS = /^\/(name|backends|state)(\/|$)/;

/** The config pointers of backend credentials that `plan` may go without. */
const CREDENTIAL_POINTER = /^\/backends\/([^/]+)\/api_key$/;

interface Piece {
  /** Index of the expression in the string. */
  at: number;
  /** The expression as written, e.g. `${TOKEN:-x}`. */
  raw: string;
  name?: string;
  fallback?: string;
  emptyCountsAsUnset?: boolean;
  literal?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Splits a string into its `${...}` expressions; returns undefined pieces for bad syntax. */
function scan(s: string): { pieces: Piece[]; bad?: { at: number; raw: string } } {
  const pieces: Piece[] = [];
  let i = 0;
  while (i < s.length) {
    const j = s.indexOf('$', i);
    if (j < 0) break;
    if (s.startsWith('$${', j)) {
      pieces.push({ at: j, raw: '$${', literal: '${' });
      i = j + 3;
      continue;
    }
    if (!s.startsWith('${', j)) {
      i = j + 1;
      continue;
    }
    const close = s.indexOf('}', j + 2);
    if (close < 0) return { pieces, bad: { at: j, raw: s.slice(j) } };
    const body = s.slice(j + 2, close);
    const raw = s.slice(j, close + 1);
    const m = /^([^:-]*)(?:(:?-)(.*))?$/s.exec(body);
    if (!m || !NAME.test(m[1])) return { pieces, bad: { at: j, raw } };
    pieces.push({ at: j, raw, name: m[1], fallback: m[2] ? m[3] : undefined, emptyCountsAsUnset: m[2] === ':-' });
    i = close + 1;
  }
  return { pieces };
}

export function interpolate(
  parsed: ParsedYaml,
  env: Record<string, string | undefined>,
  options: InterpolateOptions = {},
): InterpolationResult {
  const diags: Diagnostic[] = [];
  const missingCredentials: InterpolationResult['missingCredentials'] = [];
  const substituted = new Map<string, string[]>();

  const locate = (pointer: string, raw: string, nth: number): ReturnType<ParsedYaml['range']> | undefined => {
    const at = parsed.spans.offsets(pointer);
    if (!at) return undefined;
    const src = parsed.text.slice(at.start, at.end);
    let from = 0;
    for (let k = 0; k <= nth; k++) {
      const idx = src.indexOf(raw, from);
      if (idx < 0) return parsed.range(at.start, at.end);
      if (k === nth) return parsed.range(at.start + idx, at.start + idx + raw.length);
      from = idx + raw.length;
    }
    return parsed.range(at.start, at.end);
  };

  const visitString = (s: string, pointer: string): unknown => {
    if (!s.includes('$')) return s;
    const { pieces, bad } = scan(s);
    if (bad) {
      diags.push(
        error('interp.bad-syntax', `invalid variable reference "${bad.raw.slice(0, 40)}"`, {
          range: locate(pointer, bad.raw, 0),
          pointer,
          detail: 'Write ${NAME} or ${NAME:-default} (NAME: letters, digits, _), or $${ for a literal "${".',
        }),
      );
      return s;
    }
    if (pieces.length === 0) return s;
    const seen = new Map<string, number>();
    const values: string[] = [];
    let out = '';
    let last = 0;
    for (const p of pieces) {
      out += s.slice(last, p.at);
      last = p.at + p.raw.length;
      if (p.literal !== undefined) {
        out += p.literal;
        continue;
      }
      const nth = seen.get(p.raw) ?? 0;
      seen.set(p.raw, nth + 1);
      // Own properties only: `${constructor}` is an unset variable, not Object's constructor.
      const v = Object.hasOwn(env, p.name!) ? env[p.name!] : undefined;
      const unset = v === undefined || (p.emptyCountsAsUnset === true && v === '');
      if (!unset) {
        out += v;
        values.push(v!);
      } else if (p.fallback !== undefined) {
        out += p.fallback;
      } else if (options.optionalCredentials && CREDENTIAL_POINTER.test(pointer)) {
        const backend = CREDENTIAL_POINTER.exec(pointer)![1];
        missingCredentials.push({ backend, variable: p.name! });
        diags.push(
          warning('backend.no-credentials', `backend ${backend} has no credentials: ${p.name} is not set`, {
            range: locate(pointer, p.raw, nth),
            pointer,
            detail: `The plan compares its runtimes with the last recorded apply instead of observing them, so drift on the backend cannot be seen. apply needs ${p.name}.`,
          }),
        );
      } else if (options.destroying && !DESTROY_NEEDS.test(pointer)) {
        diags.push(
          warning('interp.unset-not-needed', `variable ${p.name} is not set; destroy does not need it`, {
            range: locate(pointer, p.raw, nth),
            pointer,
          }),
        );
      } else {
        diags.push(
          error('interp.unset-variable', `variable ${p.name} is not set`, {
            range: locate(pointer, p.raw, nth),
            pointer,
            detail: `Set ${p.name} in the environment or in .env beside the config, or give a default: \${${p.name}:-value}.`,
          }),
        );
      }
    }
    out += s.slice(last);
    if (values.length) substituted.set(pointer, values);
    // A plain scalar that was one expression is typed like YAML would type the text (8080 → number).
    if (
      parsed.spans.offsets(pointer)?.plain &&
      pieces.length === 1 &&
      pieces[0].literal === undefined &&
      pieces[0].raw === s
    ) {
      const typed: unknown = safeScalar(out);
      if (typeof typed === 'number' || typeof typed === 'boolean') return typed;
    }
    return out;
  };

  // Rewrites strings in place: the value tree is fresh from the parser and owned by us.
  // Pointers of scalars are built only for strings that contain a `$`.
  const visit = (v: unknown, pointer: string): unknown => {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (typeof x === 'string') {
          if (x.includes('$')) v[i] = visitString(x, joinPointer(pointer, i));
        } else if (x && typeof x === 'object') visit(x, joinPointer(pointer, i));
      }
      return v;
    }
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        const x = o[k];
        if (typeof x === 'string') {
          if (x.includes('$')) o[k] = visitString(x, joinPointer(pointer, k));
        } else if (x && typeof x === 'object') visit(x, joinPointer(pointer, k));
      }
      return o;
    }
    return typeof v === 'string' ? visitString(v, pointer) : v;
  };

  return { value: visit(parsed.value, ''), diags, substituted, missingCredentials };
}

function safeScalar(text: string): unknown {
  if (text.includes('\n')) return text;
  try {
    return parseYamlScalar(text);
  } catch {
    return text;
  }
}
