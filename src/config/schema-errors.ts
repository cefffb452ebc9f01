// Maps ajv errors to diagnostics: one short summary per problem, the source range of the key
// or value at fault, a fix hint, and "did you mean" over the keys or values allowed there.
// oneOf failures are reduced to the variant the user evidently meant. No I/O.

import type { ErrorObject } from 'ajv';
import { error, type Diagnostic, type SourceRange } from '../diag/diagnostic.js';
import { joinPointer, splitPointer } from './pointer.js';
import { Suggester } from './suggest-bounded.js';
import { spanAt, type ParsedYaml } from './yaml-source.js';

type JsonObject = Record<string, unknown>;

/** Friendly explanations of the schema's patterns, keyed by the pattern source. */
const PATTERN_HINTS: Record<string, string> = {
  '^[a-z][a-z0-9_-]{0,62}$':
    "Use lowercase letters, digits, '-' and '_', starting with a letter, at most 63 characters.",
  '^[a-z][a-z0-9-]{0,38}[a-z0-9]$':
    "Use 2-40 lowercase letters, digits and '-', starting with a letter and not ending with '-'.",
  '^[0-9]{1,7}(\\.[0-9]{1,9})?([kmg]b?|[KMG]i|[KMG]B?)$':
    'Write memory with a unit, e.g. 256m, 1g, 512Mi or 4G (at most 7 digits before the unit).',
  '^([0-9]{1,11}(\\.[0-9]{1,9})?ms|[0-9]{1,8}(\\.[0-9]{1,9})?s|[0-9]{1,6}(\\.[0-9]{1,9})?m|[0-9]{1,4}(\\.[0-9]{1,9})?h)$':
    'Write a duration such as 500ms, 30s, 5m or 2h (at most 9999h), or a number of seconds.',
  '^[0-9]{1,4}(\\.[0-9]{1,9})?$': 'Write CPU as a number of cores, e.g. 0.5 or "2" (at most 1024).',
  '^[A-Za-z_][A-Za-z0-9_]*$': 'Environment variable names use letters, digits and _, not starting with a digit.',
  '^(CAP_)?[A-Z_]+$': 'Write Linux capabilities in upper case, e.g. NET_BIND_SERVICE.',
  '^https?://[^\\u0000-\\u0020\\u007F-\\u009F]*$':
    'Write a full URL starting with http:// or https://, without spaces or control characters.',
  '^(tcp|http|https)://[^\\u0000-\\u0020\\u007F-\\u009F]*$': 'Write the engine address as tcp://host:port.',
  '^/[^\\u0000-\\u001F\\u007F-\\u009F]*$': 'Write an absolute path starting with "/", without control characters.',
  '^[^\\u0000-\\u001F\\u007F-\\u009F]*$':
    'Control characters (escapes, tabs, line breaks) are not allowed in names, hosts, paths, ids and tokens.',
  '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$':
    'Control characters other than tabs and line breaks are not allowed here.',
  '^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$':
    'Write an IP address (127.0.0.1, ::1, 0.0.0.0) or a host name (localhost, gateway.internal).',
  '^[0-9a-f]{7,40}$': 'Write a commit as 7 to 40 lowercase hex digits.',
  '^[A-Za-z0-9_-]{1,4}$': "Use 1-4 characters from letters, digits, '_' and '-'.",
};

function label(pointer: string): string {
  const segs = splitPointer(pointer);
  if (segs.length === 0) return 'the document';
  const last = segs[segs.length - 1];
  if (/^\d+$/.test(last)) {
    const owner = segs.length > 1 ? segs[segs.length - 2] : 'list';
    return `item ${Number(last) + 1} of "${owner}"`;
  }
  return `"${last}"`;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  return `a ${typeof v}`;
}

function article(t: string): string {
  const names: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    integer: 'an integer',
    string: 'a string',
    number: 'a number',
    boolean: 'a boolean',
    null: 'null',
  };
  return t
    .split(',')
    .map((x) => names[x.trim()] ?? x)
    .join(' or ');
}

function show(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return `"${s.length > 40 ? `${s.slice(0, 37)}...` : s}"`;
}

interface Ctx {
  parsed: ParsedYaml;
  suggester: Suggester;
}

function rangeFor(ctx: Ctx, pointer: string, prefer: 'key' | 'value' | 'head'): SourceRange {
  const span = spanAt(ctx.parsed.spans, pointer);
  if (!span) return ctx.parsed.range(0, 0);
  if (prefer === 'key' && span.key) return span.key;
  // A block collection starts on the line after its key: the key is the better anchor.
  if (span.key && span.value.start.line !== span.key.start.line) return span.key;
  if (prefer === 'head') return span.key ?? span.value;
  return span.value;
}

/**
 * Reduces oneOf failures to the errors of the variant whose type matched (or one summary).
 * Linear in the errors (times the nesting depth): a hostile document with tens of thousands
 * of unknown keys yields as many errors, so there are no list scans per oneOf.
 */
function reduceOneOf(errors: ErrorObject[]): ErrorObject[] {
  const list = errors.filter((e) => e.keyword !== 'if');
  const oneOfs = list
    .filter((e) => e.keyword === 'oneOf')
    .sort((a, b) => b.instancePath.length - a.instancePath.length);
  if (oneOfs.length === 0) return list;
  // The errors at or below each oneOf's instance path, found by walking each error's ancestors.
  const oneOfPaths = new Set(oneOfs.map((o) => o.instancePath));
  const under = new Map<string, ErrorObject[]>();
  for (const e of list) {
    let p = e.instancePath;
    for (;;) {
      if (oneOfPaths.has(p)) {
        const xs = under.get(p);
        if (xs) xs.push(e);
        else under.set(p, [e]);
      }
      if (p === '') break;
      p = p.slice(0, p.lastIndexOf('/'));
    }
  }
  // The current list as an order: removing deletes, re-appending gives a new, later rank.
  const order = new Map<ErrorObject, number>(list.map((e, i) => [e, i]));
  let rank = list.length;
  for (const o of oneOfs) {
    if (!order.has(o)) continue;
    // A branch's errors carry its schema path, or the path of the definition it $refs.
    const variants = Array.isArray(o.schema) ? (o.schema as JsonObject[]) : [];
    const prefixes = variants.map((v, i) => [
      `${o.schemaPath}/${i}/`,
      ...(typeof v.$ref === 'string' ? [`${v.$ref}/`] : []),
    ]);
    const branches = new Map<number, ErrorObject[]>();
    const candidates = (under.get(o.instancePath) ?? [])
      .filter((e) => e !== o && order.has(e))
      .sort((x, y) => order.get(x)! - order.get(y)!);
    // A definition used in more than one place is compiled once, and its errors carry paths
    // relative to it (`#/type`), naming neither the oneOf nor the $ref: when exactly one branch
    // is a $ref, an error that matches no inline branch came from that definition. (Not for a
    // oneOf on the document root, where unrelated errors are under its path too.)
    const refBranches =
      o.instancePath === '' ? [] : variants.flatMap((v, i) => (typeof v.$ref === 'string' ? [i] : []));
    const inline = (e: ErrorObject): boolean => e.schemaPath.startsWith(`${o.schemaPath}/`);
    for (const e of candidates) {
      let idx = prefixes.findIndex((ps) => ps.some((p) => e.schemaPath.startsWith(p)));
      if (idx < 0 && refBranches.length === 1 && !inline(e)) idx = refBranches[0];
      if (idx < 0) continue;
      const branch = branches.get(idx);
      if (branch) branch.push(e);
      else branches.set(idx, [e]);
    }
    const fits = [...branches.values()].filter(
      (errs) => !errs.some((e) => e.instancePath === o.instancePath && ['type', 'const', 'enum'].includes(e.keyword)),
    );
    for (const errs of branches.values()) for (const e of errs) order.delete(e);
    if (fits.length > 0) {
      fits.sort((a, b) => a.length - b.length);
      order.delete(o);
      for (const e of fits[0]) order.set(e, rank++);
    } else {
      const forms = [...branches.values()].flatMap((errs) =>
        errs
          .filter((e) => e.instancePath === o.instancePath && ['type', 'const', 'enum'].includes(e.keyword))
          .slice(0, 1),
      );
      const described = forms.map((e) =>
        e.keyword === 'type'
          ? article(String(e.params.type))
          : e.keyword === 'const'
            ? JSON.stringify(e.params.allowedValue)
            : (e.params.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(' or '),
      );
      (o.params as JsonObject).forms = [...new Set(described)];
    }
  }
  return [...order.entries()].sort((x, y) => x[1] - y[1]).map(([e]) => e);
}

export function schemaErrorsToDiagnostics(errors: readonly ErrorObject[], parsed: ParsedYaml): Diagnostic[] {
  const ctx: Ctx = { parsed, suggester: new Suggester() };
  let patterns: Map<string, string> | undefined;
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  const push = (d: Diagnostic): void => {
    const k = `${d.pointer}|${d.summary}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.push(d);
  };
  for (const e of reduceOneOf([...errors])) {
    const p = e.instancePath;
    const parent = (e.parentSchema ?? {}) as JsonObject;
    const help = typeof parent.description === 'string' ? parent.description : undefined;
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = String(e.params.additionalProperty);
        const child = joinPointer(p, key);
        const allowed = Object.keys((parent.properties ?? {}) as JsonObject);
        const suggestion = ctx.suggester.suggest(key, allowed);
        push(
          error('schema.unknown-key', `unknown key "${key}"`, {
            range: rangeFor(ctx, child, 'key'),
            pointer: child,
            suggestion,
            detail: allowed.length ? `Keys allowed here: ${allowed.join(', ')}.` : 'Remove this key.',
          }),
        );
        break;
      }
      case 'required': {
        const key = String(e.params.missingProperty);
        push(
          error('schema.missing-key', `missing required key "${key}"`, {
            range: rangeFor(ctx, p, 'head'),
            pointer: p,
            detail: `Add "${key}" to ${p ? label(p) : 'the top level of the file'}.`,
          }),
        );
        break;
      }
      case 'propertyNames': {
        const name = String(e.params.propertyName);
        const child = joinPointer(p, name);
        push(
          error('schema.invalid-name', `invalid name "${name}"`, {
            range: rangeFor(ctx, child, 'key'),
            pointer: child,
            detail:
              PATTERN_HINTS[(patterns ??= patternsByName(errors)).get(String(e.params.propertyName)) ?? ''] ??
              'Rename this key.',
          }),
        );
        break;
      }
      case 'type':
        push(
          error('schema.type', `${label(p)} must be ${article(String(e.params.type))}, not ${typeName(e.data)}`, {
            range: rangeFor(ctx, p, 'value'),
            pointer: p,
            detail: help ?? `Change the value to ${article(String(e.params.type))}.`,
          }),
        );
        break;
      case 'enum':
      case 'const': {
        const allowed = (e.keyword === 'enum' ? (e.params.allowedValues as unknown[]) : [e.params.allowedValue]).map(
          String,
        );
        const suggestion = typeof e.data === 'string' ? ctx.suggester.suggest(e.data, allowed) : undefined;
        push(
          error('schema.invalid-value', `invalid value ${show(e.data)} for ${label(p)}`, {
            range: rangeFor(ctx, p, 'value'),
            pointer: p,
            suggestion,
            detail: `Use one of: ${allowed.join(', ')}.`,
          }),
        );
        break;
      }
      case 'pattern': {
        if ((e as ErrorObject & { propertyName?: string }).propertyName !== undefined) break;
        push(
          error('schema.pattern', `invalid value ${show(e.data)} for ${label(p)}`, {
            range: rangeFor(ctx, p, 'value'),
            pointer: p,
            detail:
              PATTERN_HINTS[String(e.params.pattern)] ?? help ?? `The value must match ${String(e.params.pattern)}.`,
          }),
        );
        break;
      }
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum': {
        const op = {
          minimum: 'at least',
          maximum: 'at most',
          exclusiveMinimum: 'greater than',
          exclusiveMaximum: 'less than',
        }[e.keyword];
        push(
          error('schema.range', `${label(p)} must be ${op} ${String(e.params.limit)}`, {
            range: rangeFor(ctx, p, 'value'),
            pointer: p,
            detail: help ?? `Change the value to one ${op} ${String(e.params.limit)}.`,
          }),
        );
        break;
      }
      case 'minLength':
      case 'maxLength': {
        const n = Number(e.params.limit);
        const summary =
          e.keyword === 'minLength' && n === 1
            ? `${label(p)} must not be empty`
            : `${label(p)} must be ${e.keyword === 'minLength' ? 'at least' : 'at most'} ${n} characters`;
        push(
          error('schema.length', summary, {
            range: rangeFor(ctx, p, 'value'),
            pointer: p,
            detail: help ?? 'Change the value.',
          }),
        );
        break;
      }
      case 'minItems':
      case 'maxItems':
      case 'minProperties':
      case 'maxProperties': {
        const what = e.keyword.endsWith('Items') ? 'items' : 'keys';
        const op = e.keyword.startsWith('min') ? 'at least' : 'at most';
        const empty = e.keyword.startsWith('min') && Number(e.params.limit) === 1;
        push(
          error(
            'schema.size',
            empty ? `${label(p)} must not be empty` : `${label(p)} must have ${op} ${String(e.params.limit)} ${what}`,
            {
              range: rangeFor(ctx, p, 'head'),
              pointer: p,
              detail: help ?? 'Add or remove entries.',
            },
          ),
        );
        break;
      }
      case 'oneOf': {
        const forms = (e.params as JsonObject).forms as string[] | undefined;
        push(
          error(
            'schema.type',
            forms?.length ? `${label(p)} must be ${forms.join(' or ')}` : `${label(p)} has an invalid form`,
            {
              range: rangeFor(ctx, p, 'value'),
              pointer: p,
              detail: help ?? 'See the schema for the accepted forms (contextforge schema).',
            },
          ),
        );
        break;
      }
      default:
        push(
          error('schema.invalid', `${label(p)} ${e.message ?? 'is invalid'}`, {
            range: rangeFor(ctx, p, 'value'),
            pointer: p,
          }),
        );
    }
  }
  return out;
}

/** The pattern behind each failing property name, looked up once (not once per error). */
function patternsByName(all: readonly ErrorObject[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const x of all) {
    const name = (x as ErrorObject & { propertyName?: string }).propertyName;
    if (x.keyword === 'pattern' && name !== undefined && !out.has(name)) out.set(name, String(x.params.pattern));
  }
  return out;
}
