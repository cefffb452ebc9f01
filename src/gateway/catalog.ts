// Federation tables: which exposed tool/prompt name or resource URI belongs to which upstream
// and what it is called there. Built from the upstreams' cached lists for one view (all
// upstreams, one runtime, or a virtual server). Pure over its inputs; no I/O.
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { Prompt, Resource, ResourceTemplate, Tool } from '@modelcontextprotocol/sdk/types.js';
import { disambiguate, federatedName, globMatcher, markedUri, uriMarker } from './names.js';
import type { UpstreamSession } from './upstream.js';
import type { VirtualServerSpec } from './types.js';
import { lockKey, UNPINNED_META, unpinnedOf, type Unpinned } from './tool-lock.js';
import { surfaceKey, type SurfaceKind } from '../model/tool-surface.js';

export type View =
  { kind: 'federated' } | { kind: 'runtime'; name: string } | { kind: 'virtual'; spec: VirtualServerSpec };

export interface Route<T> {
  session: UpstreamSession;
  /** The name (or URI) the upstream knows. */
  original: string;
  /** The definition as exposed downstream (renamed). */
  def: T;
}

export interface TemplateRoute extends Route<ResourceTemplate> {
  matcher: UriTemplate;
  /** The marker stripped before forwarding a matched URI, or '' when unmarked. */
  marker: string;
}

export interface Catalog {
  tools: Map<string, Route<Tool>>;
  prompts: Map<string, Route<Prompt>>;
  resources: Map<string, Route<Resource>>;
  templates: TemplateRoute[];
  /** Marker → session, for reads of `cf-<runtime>+<uri>` URIs. */
  markers: Map<string, UpstreamSession>;
  /** Exposed tool/prompt name or resource URI → why contextforge.lock hides it (enforce mode). */
  blocked: Map<string, { session: UpstreamSession; unpinned: Unpinned }>;
}

export function viewKey(view: View): string {
  return view.kind === 'federated' ? '*' : `${view.kind}:${view.kind === 'runtime' ? view.name : view.spec.name}`;
}

/** Builds the routing tables for `view` over `sessions` (ordered by name for stable output). */
export function buildCatalog(sessions: UpstreamSession[], view: View, sep: string): Catalog {
  const ordered = [...sessions].sort((a, b) => a.name.localeCompare(b.name));
  if (view.kind === 'runtime') {
    const s = ordered.find((x) => x.name === view.name);
    return s ? single(s) : empty();
  }
  const cat = federate(ordered, sep);
  if (view.kind === 'federated') return cat;
  const whole = new Set(view.spec.runtimes ?? []);
  const pick = <T>(patterns: string[] | undefined) => {
    const match = globMatcher(patterns);
    return (key: string, route: Route<T>): boolean => whole.has(route.session.name) || match(key);
  };
  const res = pick<Resource>(view.spec.resources);
  const tpl = pick<ResourceTemplate>(view.spec.resources);
  return {
    tools: filterMap(cat.tools, pick<Tool>(view.spec.tools)),
    prompts: filterMap(cat.prompts, pick<Prompt>(view.spec.prompts)),
    resources: filterMap(cat.resources, res),
    templates: cat.templates.filter((t) => tpl(t.def.uriTemplate, t)),
    markers: cat.markers,
    blocked: cat.blocked,
  };
}

function empty(): Catalog {
  return {
    tools: new Map(),
    prompts: new Map(),
    resources: new Map(),
    templates: [],
    markers: new Map(),
    blocked: new Map(),
  };
}

/** One runtime on its own keeps its own names: clients see it as if connected directly. */
function single(s: UpstreamSession): Catalog {
  const c = empty();
  const block = (exposed: (d: { name?: string; uri?: string }) => string) => (u: Unpinned, d: object) =>
    c.blocked.set(exposed(d), { session: s, unpinned: u });
  for (const t of visible(
    s,
    'tools',
    s.catalog.tools,
    block((d) => d.name!),
  ))
    c.tools.set(t.name, { session: s, original: t.name, def: t });
  for (const p of visible(
    s,
    'prompts',
    s.catalog.prompts,
    block((d) => d.name!),
  ))
    c.prompts.set(p.name, { session: s, original: p.name, def: p });
  for (const r of visible(
    s,
    'resources',
    s.catalog.resources,
    block((d) => d.uri!),
  ))
    c.resources.set(r.uri, { session: s, original: r.uri, def: r });
  for (const t of visible(s, 'resource_templates', s.catalog.templates, () => undefined))
    c.templates.push({
      session: s,
      original: t.uriTemplate,
      def: t,
      matcher: new UriTemplate(t.uriTemplate),
      marker: '',
    });
  c.markers.set(uriMarker(s.name), s);
  return c;
}

function federate(sessions: UpstreamSession[], sep: string): Catalog {
  const c = empty();
  const named = <T extends { name: string }>(pick: (s: UpstreamSession) => T[]): Map<string, Route<T>> => {
    const entries = sessions.flatMap((s) => pick(s).map((d) => ({ s, d, name: federatedName(s.name, d.name, sep) })));
    const counts = countBy(entries.map((e) => e.name));
    const out = new Map<string, Route<T>>();
    for (const e of entries) {
      // Sanitizing can make two different names equal; then every copy gets a stable hash suffix.
      const name = counts.get(e.name)! > 1 ? disambiguate(e.name, e.s.name, e.d.name) : e.name;
      if (!out.has(name)) out.set(name, { session: e.s, original: e.d.name, def: { ...e.d, name } });
    }
    return out;
  };
  const block =
    (s: UpstreamSession, exposed: (d: { name?: string; uri?: string }) => string) => (u: Unpinned, d: object) =>
      c.blocked.set(exposed(d), { session: s, unpinned: u });
  c.tools = named((s) =>
    visible(
      s,
      'tools',
      s.catalog.tools,
      block(s, (d) => federatedName(s.name, d.name!, sep)),
    ),
  );
  c.prompts = named((s) =>
    visible(
      s,
      'prompts',
      s.catalog.prompts,
      block(s, (d) => federatedName(s.name, d.name!, sep)),
    ),
  );

  const res = sessions.flatMap((s) =>
    visible(
      s,
      'resources',
      s.catalog.resources,
      block(s, (d) => d.uri!),
    ).map((d) => ({ s, d })),
  );
  const resCounts = countBy(res.map((e) => e.d.uri));
  for (const { s, d } of res) {
    const uri = resCounts.get(d.uri)! > 1 ? markedUri(s.name, d.uri) : d.uri;
    if (!c.resources.has(uri)) c.resources.set(uri, { session: s, original: d.uri, def: { ...d, uri } });
  }
  const tpl = sessions.flatMap((s) =>
    visible(s, 'resource_templates', s.catalog.templates, () => undefined).map((d) => ({ s, d })),
  );
  const tplCounts = countBy(tpl.map((e) => e.d.uriTemplate));
  for (const { s, d } of tpl) {
    const marker = tplCounts.get(d.uriTemplate)! > 1 ? uriMarker(s.name) : '';
    const exposed = `${marker}${d.uriTemplate}`;
    c.templates.push({
      session: s,
      original: d.uriTemplate,
      def: { ...d, uriTemplate: exposed },
      matcher: new UriTemplate(d.uriTemplate),
      marker,
    });
  }
  for (const s of sessions) c.markers.set(uriMarker(s.name), s);
  return c;
}

/**
 * Finds the upstream for a resource URI: exact, then marked, then by template. `label` names
 * the static URI or the template (never a filled-in URI), to keep metric series bounded.
 */
export function routeResource(
  c: Catalog,
  uri: string,
): { session: UpstreamSession; uri: string; label: string } | undefined {
  const exact = c.resources.get(uri);
  if (exact) return { session: exact.session, uri: exact.original, label: exact.original };
  const m = /^(cf-[a-z0-9.-]*\+)(.+)$/.exec(uri);
  const marked = m ? c.markers.get(m[1]) : undefined;
  if (m && marked) {
    const inner = m[2];
    const stat = [...c.resources.values()].find((r) => r.session === marked && r.original === inner);
    if (stat) return { session: marked, uri: inner, label: inner };
    const tpl = c.templates.find((t) => t.session === marked && t.matcher.match(inner));
    if (tpl) return { session: marked, uri: inner, label: tpl.original };
  }
  for (const t of c.templates) {
    if (t.marker) continue;
    if (t.matcher.match(uri)) return { session: t.session, uri, label: t.original };
  }
  return undefined;
}

function filterMap<T>(m: Map<string, T>, keep: (k: string, v: T) => boolean): Map<string, T> {
  return new Map([...m].filter(([k, v]) => keep(k, v)));
}

function countBy(keys: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

/**
 * The definitions of one list that the session's lock lets through: all of them without a lock;
 * under `enforce` only those whose hash matches (the others go to onBlocked); under `warn` all,
 * the mismatched ones flagged in `_meta`. The verdict is cached per list, so this costs a lookup.
 */
function visible<T extends object>(
  s: UpstreamSession,
  kind: SurfaceKind,
  list: T[],
  onBlocked: (u: Unpinned, d: T) => void,
): T[] {
  const lock = s.spec.lock;
  if (!lock) return list;
  const unpinned = unpinnedOf(s.catalog, lock);
  if (unpinned.size === 0) return list;
  const out: T[] = [];
  for (const d of list) {
    const u = unpinned.get(lockKey(kind, surfaceKey(kind, d)));
    if (!u) out.push(d);
    else if (lock.mode === 'warn') {
      const meta = (d as { _meta?: Record<string, unknown> })._meta;
      out.push({ ...d, _meta: { ...meta, [UNPINNED_META]: { expected: u.expected ?? null, actual: u.actual } } });
    } else onBlocked(u, d);
  }
  return out;
}
