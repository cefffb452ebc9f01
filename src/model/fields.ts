// Field-level comparison of two runtime specs, shared by every backend's pure plan(): flattens
// both sides to dotted paths, reports before → after per path, and marks secret fields
// sensitive (their values are dropped, never carried into a plan). Pure.

import { canonicalJson } from './canonical.js';
import type { FieldChange, RuntimeSpec } from './resources.js';

export interface DiffFieldsOptions {
  /**
   * `all`: every path of either side is compared. `live-only`: a desired leaf the live side does
   * not report is skipped (backends read back only some fields); maps are compared whole.
   */
  scope?: 'all' | 'live-only';
  /** True for paths whose change cannot be applied in place. Default: every path. */
  forcesReplace?: (path: string) => boolean;
  /** Path prefixes left out of the comparison. */
  ignore?: string[];
}

/** What a sensitive value renders as, everywhere. */
export const SENSITIVE = '(sensitive)';

/** Objects compared key by key where a missing key means "removed", even in live-only scope. */
const MAP_PATHS = new Set(['env', 'secretDigests', 'labels', 'source.buildArgs']);

type Leaf = { value: unknown; sensitive: boolean };

function flatten(value: unknown, prefix: string, out: Map<string, Leaf>, sensitive: boolean): void {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix) {
      if (MAP_PATHS.has(prefix)) return;
      out.set(prefix, { value, sensitive });
      return;
    }
    for (const [k, v] of entries) {
      if (v === undefined) continue;
      // Secret digests are shown under env.<NAME>, sensitive, so that a reader sees which
      // variable changed without any trace of its value.
      if (prefix === '' && k === 'secretDigests') {
        flatten(v, 'env', out, true);
        continue;
      }
      flatten(v, prefix ? `${prefix}.${k}` : k, out, sensitive);
    }
    return;
  }
  out.set(prefix, { value, sensitive });
}

function inMap(path: string): boolean {
  for (const m of MAP_PATHS) if (path.startsWith(`${m}.`)) return true;
  return false;
}

/** Flattened field changes from live to desired. Sensitive fields carry no values. */
export function diffFields(
  desired: Partial<RuntimeSpec> | Record<string, unknown>,
  live: Partial<RuntimeSpec> | Record<string, unknown>,
  options: DiffFieldsOptions = {},
): FieldChange[] {
  const scope = options.scope ?? 'all';
  const d = new Map<string, Leaf>();
  const l = new Map<string, Leaf>();
  flatten(desired, '', d, false);
  flatten(live, '', l, false);
  const liveTop = new Set(Object.keys(live as Record<string, unknown>).map((k) => (k === 'secretDigests' ? 'env' : k)));
  const paths = [...new Set([...d.keys(), ...l.keys()])].sort();
  const out: FieldChange[] = [];
  for (const path of paths) {
    if (options.ignore?.some((p) => path === p || path.startsWith(`${p}.`))) continue;
    const before = l.get(path);
    const after = d.get(path);
    if (scope === 'live-only' && !before) {
      // A map the backend reports (env, labels) that lacks the key: the key was removed live.
      const top = path.split('.')[0];
      if (!(inMap(path) && liveTop.has(top))) continue;
    }
    if (before && after && canonicalJson(before.value) === canonicalJson(after.value)) continue;
    const sensitive = Boolean(before?.sensitive || after?.sensitive);
    const change: FieldChange = { path };
    if (sensitive) {
      // Presence is shown (added, removed, changed), the value never is.
      change.sensitive = true;
      if (before) change.before = SENSITIVE;
      if (after) change.after = SENSITIVE;
    } else {
      if (before) change.before = before.value;
      if (after) change.after = after.value;
    }
    if (options.forcesReplace ? options.forcesReplace(path) : true) change.forcesReplace = true;
    out.push(change);
  }
  return out;
}

/** The reason slug for a set of field changes: `image-changed`, `env-changed`, … */
export function reasonSlug(fields: readonly FieldChange[]): string {
  return reasonSlugs(fields)[0];
}

/** Every reason slug a set of field changes has, most significant (the image) first. */
export function reasonSlugs(fields: readonly FieldChange[]): string[] {
  const out: string[] = [];
  const add = (s: string): void => {
    if (!out.includes(s)) out.push(s);
  };
  if (fields.some((f) => f.path === 'source.image' || f.path === 'source.commit' || f.path === 'source.ref'))
    add('image-changed');
  for (const f of fields) {
    const top = f.path.split('.')[0];
    if (top === 'source' && out.includes('image-changed') && /^source\.(image|commit|ref)$/.test(f.path)) continue;
    add(SLUG_BY_TOP[top] ?? 'spec-changed');
  }
  return out.length ? out : ['spec-changed'];
}

const SLUG_BY_TOP: Record<string, string> = {
  source: 'source-changed',
  env: 'env-changed',
  guardrails: 'guardrails-changed',
  scale: 'scale-changed',
  transport: 'transport-changed',
  hostPort: 'port-changed',
  restart: 'restart-changed',
  labels: 'labels-changed',
  visibility: 'visibility-changed',
  catalog: 'catalog-changed',
};
