// The lock's vocabulary: a runtime's tool surface (tools, prompts, resources, resource templates
// as the model reads them), the canonical hash of each definition, pinned artifacts, and the
// surface diff a reviewer reads. Pure: no I/O; the word diff comes from jsdiff.

import { diffWords } from 'diff';
import { canonicalJson, hashOf } from './canonical.js';

export type SurfaceKind = 'tools' | 'prompts' | 'resources' | 'resource_templates';
export const SURFACE_KINDS: readonly SurfaceKind[] = ['tools', 'prompts', 'resources', 'resource_templates'];

/** The singular word for messages: `tool echo`, `resource template file:///{path}`. */
export const KIND_WORD: Record<SurfaceKind, string> = {
  tools: 'tool',
  prompts: 'prompt',
  resources: 'resource',
  resource_templates: 'resource template',
};

/** The fields of a definition that reach the model; anything else (`_meta`, icons) is not pinned. */
const PINNED_FIELDS: Record<SurfaceKind, readonly string[]> = {
  tools: ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'],
  prompts: ['name', 'title', 'description', 'arguments'],
  resources: ['uri', 'name', 'title', 'description', 'mimeType', 'annotations'],
  resource_templates: ['uriTemplate', 'name', 'title', 'description', 'mimeType', 'annotations'],
};

export type Definition = Record<string, unknown>;

/** Per kind: key (tool/prompt name, resource URI, template) → pinned definition and its hash. */
export type Surface = Record<SurfaceKind, Record<string, SurfaceEntry>>;

export interface SurfaceEntry {
  hash: string;
  definition: Definition;
}

/** What an upstream lists, in the MCP SDK's shapes (loosely typed: only pinned fields matter). */
export interface ListedSurface {
  tools: readonly object[];
  prompts: readonly object[];
  resources: readonly object[];
  templates: readonly object[];
}

/** The key a definition is known by: its name, its URI, or its URI template. */
export function surfaceKey(kind: SurfaceKind, def: object): string {
  const d = def as Definition;
  const key = kind === 'resources' ? d.uri : kind === 'resource_templates' ? d.uriTemplate : d.name;
  return String(key);
}

/** The pinned part of a definition, with undefined members dropped (canonical JSON order). */
export function pinnedDefinition(kind: SurfaceKind, def: object): Definition {
  const d = def as Definition;
  const out: Definition = {};
  for (const f of PINNED_FIELDS[kind]) if (d[f] !== undefined) out[f] = d[f];
  return JSON.parse(canonicalJson(out)) as Definition;
}

/** `sha256:<hex>` of the canonical JSON of the pinned definition. */
export function definitionHash(kind: SurfaceKind, def: object): string {
  return hashOf(pinnedDefinition(kind, def));
}

export function emptySurface(): Surface {
  return { tools: {}, prompts: {}, resources: {}, resource_templates: {} };
}

/** The surface of what a server listed. */
export function surfaceOf(listed: ListedSurface): Surface {
  const s = emptySurface();
  const add = (kind: SurfaceKind, defs: readonly object[]): void => {
    for (const def of defs) {
      const definition = pinnedDefinition(kind, def);
      s[kind][surfaceKey(kind, def)] = { hash: hashOf(definition), definition };
    }
  };
  add('tools', listed.tools);
  add('prompts', listed.prompts);
  add('resources', listed.resources);
  add('resource_templates', listed.templates);
  return s;
}

export function surfaceSize(s: Surface): number {
  return SURFACE_KINDS.reduce((n, k) => n + Object.keys(s[k]).length, 0);
}

/** A runtime's artifact, pinned: what exactly runs, not the name it was asked for by. */
export interface ArtifactPin {
  type: 'docker' | 'github' | 'compose' | 'command' | 'package' | 'remote' | 'code_engine';
  /** What the config names: an image reference, `repo@ref`, a compose file, a command line. */
  ref: string;
  /** Image digest (or engine image id for local images), commit SHA, or package@version. */
  digest?: string;
  /** Compose members: service → image digest. */
  members?: Record<string, string>;
  /** Why no digest could be pinned (an image not on the engine yet, a command without a version). */
  note?: string;
}

/** True when two pins name the same artifact (notes do not count). */
export function sameArtifact(a: ArtifactPin | undefined, b: ArtifactPin | undefined): boolean {
  if (!a || !b) return a === b;
  return canonicalJson({ ...a, note: undefined }) === canonicalJson({ ...b, note: undefined });
}

// ---- the surface diff ----------------------------------------------------------------------

export interface WordChange {
  /** `same`, `removed` or `added` run of text. */
  op: 'same' | 'removed' | 'added';
  text: string;
}

export interface ItemChange {
  kind: SurfaceKind;
  key: string;
  beforeHash: string;
  afterHash: string;
  /** Word diff of the description, when it changed. */
  description?: WordChange[];
  /** JSON paths changed inside inputSchema / outputSchema / arguments. */
  schemaPaths?: string[];
  /** Annotation keys whose value changed: `destructiveHint: (none) → true`. */
  annotations?: { key: string; before: unknown; after: unknown }[];
  /** Other pinned fields that changed (title, mimeType, name). */
  fields?: string[];
}

export interface SurfaceDiff {
  added: { kind: SurfaceKind; key: string; definition: Definition }[];
  removed: { kind: SurfaceKind; key: string; definition: Definition }[];
  changed: ItemChange[];
}

export function surfaceDiffEmpty(d: SurfaceDiff): boolean {
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;
}

/** What changed from the pinned surface `before` to the discovered `after`. */
export function diffSurface(before: Surface, after: Surface): SurfaceDiff {
  const out: SurfaceDiff = { added: [], removed: [], changed: [] };
  for (const kind of SURFACE_KINDS) {
    const b = before[kind] ?? {};
    const a = after[kind] ?? {};
    for (const key of Object.keys(a).sort()) {
      if (!(key in b)) out.added.push({ kind, key, definition: a[key].definition });
      else if (a[key].hash !== b[key].hash) out.changed.push(itemChange(kind, key, b[key], a[key]));
    }
    for (const key of Object.keys(b).sort())
      if (!(key in a)) out.removed.push({ kind, key, definition: b[key].definition });
  }
  return out;
}

function itemChange(kind: SurfaceKind, key: string, b: SurfaceEntry, a: SurfaceEntry): ItemChange {
  const c: ItemChange = { kind, key, beforeHash: b.hash, afterHash: a.hash };
  const bd = b.definition;
  const ad = a.definition;
  if (bd.description !== ad.description) c.description = wordDiff(str(bd.description), str(ad.description));
  const paths: string[] = [];
  for (const f of ['inputSchema', 'outputSchema', 'arguments']) changedPaths(bd[f], ad[f], f, paths);
  if (paths.length) c.schemaPaths = paths;
  const ba = (bd.annotations ?? {}) as Definition;
  const aa = (ad.annotations ?? {}) as Definition;
  const ann = [...new Set([...Object.keys(ba), ...Object.keys(aa)])]
    .sort()
    .filter((k) => canonicalJson(ba[k]) !== canonicalJson(aa[k]))
    .map((k) => ({ key: k, before: ba[k], after: aa[k] }));
  if (ann.length) c.annotations = ann;
  const handled = new Set(['description', 'inputSchema', 'outputSchema', 'arguments', 'annotations']);
  const fields = [...new Set([...Object.keys(bd), ...Object.keys(ad)])]
    .filter((f) => !handled.has(f) && canonicalJson(bd[f]) !== canonicalJson(ad[f]))
    .sort();
  if (fields.length) c.fields = fields;
  return c;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));

export function wordDiff(before: string, after: string): WordChange[] {
  return diffWords(before, after).map((p) => ({
    op: p.added ? 'added' : p.removed ? 'removed' : 'same',
    text: p.value,
  }));
}

/** Leaf paths (`inputSchema.properties.path.type`) whose value differs; bounded to 50. */
function changedPaths(b: unknown, a: unknown, path: string, out: string[]): void {
  if (out.length >= 50) return;
  const isObj = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === 'object';
  if (isObj(b) && isObj(a) && Array.isArray(b) === Array.isArray(a)) {
    for (const k of [...new Set([...Object.keys(b), ...Object.keys(a)])].sort())
      changedPaths(b[k], a[k], `${path}.${k}`, out);
    return;
  }
  if (canonicalJson(b) !== canonicalJson(a)) out.push(path);
}

/** `old → new` wording of a word diff for one line of text: `[-old-]{+new+}`. */
export function wordDiffText(w: readonly WordChange[]): string {
  return w.map((p) => (p.op === 'same' ? p.text : p.op === 'removed' ? `[-${p.text}-]` : `{+${p.text}+}`)).join('');
}

/** One line per change, shared by the text and markdown renderers and `lock --check`. */
export function surfaceDiffLines(d: SurfaceDiff): string[] {
  const lines: string[] = [];
  for (const x of d.added) {
    const desc = typeof x.definition.description === 'string' ? `: "${x.definition.description}"` : '';
    lines.push(`+ ${KIND_WORD[x.kind]} ${x.key} added${desc}`);
  }
  for (const x of d.removed) lines.push(`- ${KIND_WORD[x.kind]} ${x.key} removed`);
  for (const c of d.changed) {
    lines.push(`~ ${KIND_WORD[c.kind]} ${c.key} changed (${c.beforeHash.slice(0, 19)} → ${c.afterHash.slice(0, 19)})`);
    if (c.description) lines.push(`    description: ${wordDiffText(c.description)}`);
    if (c.schemaPaths) lines.push(`    schema changed at: ${c.schemaPaths.join(', ')}`);
    for (const a of c.annotations ?? []) lines.push(`    annotation ${a.key}: ${fmt(a.before)} → ${fmt(a.after)}`);
    if (c.fields) lines.push(`    also changed: ${c.fields.join(', ')}`);
  }
  return lines;
}

const fmt = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v));
