// The read-only config routes of the console API: catalog entries (filtered as `catalog list`
// filters), guardrail profiles with the backend compatibility matrix (`profiles check`), and
// the current plan of the served config (drift and pending changes, as `plan --json`).

import { planStack } from '../plan/stack.js';
import { BACKEND_TYPES, backendsOf, definitionOf, filterEntries, profileCheck } from '../config/index.js';
import type { ResolvedCatalogEntry } from '../config/index.js';
import type { BackendType } from '../generated/config.js';
import { diagDoc as diagView, toPlanDocument } from '../plan/render-json.js';
import { redactDeep } from '../plan/redact.js';
import type { ConsoleContext } from './context.js';
import { ApiError, type Route } from './route.js';

function card(e: ResolvedCatalogEntry): Record<string, unknown> {
  return {
    slug: e.slug,
    name: e.name,
    ...(e.description ? { description: e.description } : {}),
    ...(e.category ? { category: e.category } : {}),
    ...(e.tags ? { tags: e.tags } : {}),
    source: e.source.type,
    backends: backendsOf(e),
    ...(e.featured ? { featured: true } : {}),
    ...(e.deprecated ? { deprecated: true } : {}),
  };
}

export function catalogEntry(ctx: ConsoleContext, slug: string): ResolvedCatalogEntry {
  const e = ctx.config.catalog[slug];
  if (!e)
    throw new ApiError(404, 'catalog.not-found', `No catalog entry ${slug}.`, 'GET /api/v1/catalog lists the entries.');
  return e;
}

function backendType(v: string | null): BackendType | undefined {
  if (v === null || v === '') return undefined;
  if (!(BACKEND_TYPES as string[]).includes(v))
    throw new ApiError(
      400,
      'request.bad-parameter',
      `Unknown backend type ${v}.`,
      `Use one of ${BACKEND_TYPES.join(', ')}.`,
    );
  return v as BackendType;
}

export const libraryRoutes: Route[] = [
  {
    method: 'GET',
    path: '/catalog',
    operationId: 'listCatalog',
    summary: 'Catalog entries available to the served config, featured first.',
    tag: 'catalog',
    role: 'viewer',
    query: [
      { name: 'category', description: 'Only entries of this category.', schema: { type: 'string' } },
      { name: 'tag', description: 'Only entries with this tag.', schema: { type: 'string' } },
      { name: 'backend', description: 'Only entries supporting this backend type.', schema: { enum: BACKEND_TYPES } },
      { name: 'q', description: 'Search slug, name and description.', schema: { type: 'string' } },
      { name: 'all', description: '1 to include deprecated entries.', schema: { enum: ['0', '1'] } },
    ],
    response: 'CatalogList',
    async handle({ ctx, query }) {
      const all = Object.values(ctx.config.catalog);
      const entries = filterEntries(all, {
        category: query.get('category') ?? undefined,
        tag: query.get('tag') ?? undefined,
        backend: backendType(query.get('backend')),
        q: query.get('q') ?? undefined,
        all: query.get('all') === '1',
      });
      const uniq = (xs: (string | undefined)[]): string[] => [...new Set(xs.filter((x): x is string => !!x))].sort();
      return {
        body: {
          entries: entries.map(card),
          categories: uniq(all.map((e) => e.category)),
          tags: uniq(all.flatMap((e) => e.tags ?? [])),
          configBackends: Object.entries(ctx.config.backends).map(([name, b]) => ({ name, type: b.type })),
        },
      };
    },
  },
  {
    method: 'GET',
    path: '/catalog/{slug}',
    operationId: 'getCatalogEntry',
    summary: 'One catalog entry as defined, with the backend types it supports.',
    tag: 'catalog',
    role: 'viewer',
    response: 'CatalogDetail',
    async handle({ ctx, params }) {
      const e = catalogEntry(ctx, params.slug);
      return { body: { slug: e.slug, backends: backendsOf(e), definition: definitionOf(e) } };
    },
  },
  {
    method: 'GET',
    path: '/profiles',
    operationId: 'listProfiles',
    summary: 'Guardrail profiles, each with the controls every backend type cannot enforce.',
    tag: 'profiles',
    role: 'viewer',
    response: 'ProfileList',
    async handle({ ctx }) {
      const list = Object.values(ctx.config.profiles).sort((a, b) => a.name.localeCompare(b.name));
      return {
        body: {
          backendTypes: BACKEND_TYPES,
          profiles: list.map((p) => ({
            name: p.name,
            builtin: p.builtin,
            definition: { ...definitionOf(p), name: p.name },
            compatibility: Object.fromEntries(BACKEND_TYPES.map((t) => [t, profileCheck(p, t).notEnforceable])),
          })),
        },
      };
    },
  },
  {
    method: 'GET',
    path: '/profiles/{name}/compatibility',
    operationId: 'getProfileCompatibility',
    summary: 'What a profile becomes on each backend type (or one): each control enforced or dropped, and why.',
    tag: 'profiles',
    role: 'viewer',
    query: [{ name: 'backend', description: 'One backend type only.', schema: { enum: BACKEND_TYPES } }],
    response: 'CompatibilityList',
    async handle({ ctx, params, query }) {
      const p = ctx.config.profiles[params.name];
      if (!p)
        throw new ApiError(
          404,
          'profile.not-found',
          `No guardrail profile ${params.name}.`,
          `Known profiles: ${Object.keys(ctx.config.profiles).join(', ')}.`,
        );
      const one = backendType(query.get('backend'));
      return { body: { checks: (one ? [one] : BACKEND_TYPES).map((t) => profileCheck(p, t)) } };
    },
  },
  {
    method: 'GET',
    path: '/plan',
    operationId: 'getPlan',
    summary: 'The plan of the served config against live state (drift and pending changes), as `plan --json`.',
    tag: 'plan',
    role: 'viewer',
    response: 'PlanView',
    async handle({ ctx }) {
      const opened = await ctx.backends();
      const r = await planStack({ config: ctx.config, backends: opened.value, store: ctx.store });
      const diagnostics = [...opened.diags, ...r.diags].map(diagView);
      const body = r.plan
        ? { plan: toPlanDocument(r.plan, { redact: ctx.redact, configPath: ctx.config.path }), diagnostics }
        : { diagnostics };
      return { body: redactDeep(body, ctx.redact) };
    },
  },
];
