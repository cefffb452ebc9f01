// Federation tables: which exposed tool/prompt name or resource URI belongs to which upstream
// and what it is called there. Built from the upstreams' cached lists for one view (all
// upstreams, one runtime, or a virtual server). Pure over its inputs; no I/O.
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { Prompt, Resource, ResourceTemplate, Tool } from '@modelcontextprotocol/sdk/types.js';
import { disambiguate, federatedName, globMatcher, markedUri, uriMarker } from './names.js';
import type { UpstreamSession } from './upstream.js';
import type { VirtualServerSpec } from './types.js';

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
  };
}

function empty(): Catalog {
  return { tools: new Map(), prompts: new Map(), resources: new Map(), templates: [], markers: new Map() };
}

/** One runtime on its own keeps its own names: clients see it as if connected directly. */
function single(s: UpstreamSession): Catalog {
  const c = empty();
  for (const t of s.catalog.tools) c.tools.set(t.name, { session: s, original: t.name, def: t });
  for (const p of s.catalog.prompts) c.prompts.set(p.name, { session: s, original: p.name, def: p });
  for (const r of s.catalog.resources) c.resources.set(r.uri, { session: s, original: r.uri, def: r });
  for (const t of s.catalog.templates)
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
  c.tools = named((s) => s.catalog.tools);
  c.prompts = named((s) => s.catalog.prompts);

  const res = sessions.flatMap((s) => s.catalog.resources.map((d) => ({ s, d })));
  const resCounts = countBy(res.map((e) => e.d.uri));
  for (const { s, d } of res) {
    const uri = resCounts.get(d.uri)! > 1 ? markedUri(s.name, d.uri) : d.uri;
    if (!c.resources.has(uri)) c.resources.set(uri, { session: s, original: d.uri, def: { ...d, uri } });
  }
  const tpl = sessions.flatMap((s) => s.catalog.templates.map((d) => ({ s, d })));
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
