// Emulator routes for apps, app revisions and app instances (reference §5): CRUD with ETags,
// merge-patch updates creating revisions, quotas, and lifecycle via lazy timing or the runtime.
// Validation rules live in validate-app.ts; JSON shapes in render.ts.

import { randomUUID } from 'node:crypto';
import { EmuError, notFound, paginate, route, type Reply, type Route } from './http-util.js';
import { checkIfMatch, etagHeaders, jsonBody, jsonEqual, projectOf, type HandlerCtx } from './handlers.js';
import { renderApp, renderRevision, simulatedInstances } from './render.js';
import { QUOTAS, latestReadyRevision, latestRevision, nowIso, type EmuApp, type EmuProject } from './state.js';
import { mergePatch, normalizeApp, type AppConfig } from './validate-app.js';

function appOf(ctx: HandlerCtx, p: EmuProject): EmuApp {
  const a = p.apps.get(ctx.params.app_name);
  if (!a) throw notFound();
  return a;
}

/** Adds revision `<app>-0000N` for `config`, garbage-collecting old ones; enforces the quota. */
function addRevision(ctx: HandlerCtx, p: EmuProject, app: EmuApp, config: AppConfig): void {
  const retention = Math.max(1, ctx.options.revisionRetention);
  const willCollect = app.revisions.length >= retention ? 1 : 0;
  if (ctx.state.revisionCount(p) + 1 - willCollect > QUOTAS.revisions) {
    throw new EmuError(
      400,
      'quota_exceeded',
      `The project has reached its limit of ${QUOTAS.revisions} app revisions. Delete apps or old revisions first.`,
    );
  }
  const index = app.nextRevision++;
  const rev = {
    id: randomUUID(),
    name: `${app.name}-${String(index).padStart(5, '0')}`,
    created_at: nowIso(),
    config: structuredClone(config),
    status: 'loading' as const,
    reason: 'deploying',
    readyAt: ctx.render.runtime ? Number.POSITIVE_INFINITY : Date.now() + ctx.state.timing.appReadyDelayMs,
  };
  app.revisions.push(rev);
  const keep = new Set([rev, latestReadyRevision(app)]);
  while (app.revisions.length > retention) {
    const victim = app.revisions.find((r) => !keep.has(r));
    if (!victim) break;
    app.revisions.splice(app.revisions.indexOf(victim), 1);
  }
  ctx.render.runtime?.deploy(p, app, rev);
}

function reply(ctx: HandlerCtx, p: EmuProject, app: EmuApp, status: number): Reply {
  return { status, body: renderApp(ctx.render, p, app), headers: etagHeaders(app.etag) };
}

export function appRoutes(): Route<HandlerCtx>[] {
  const base = '/v2/projects/:project_id/apps';
  return [
    route('GET', base, (ctx) => {
      const p = projectOf(ctx);
      const items = [...p.apps.values()].map((a) => renderApp(ctx.render, p, a));
      return { status: 200, body: paginate(items, ctx.query, `${ctx.render.baseUrl}${ctx.path}`, 'apps') };
    }),
    route('POST', base, (ctx) => {
      const p = projectOf(ctx);
      const cfg = normalizeApp(jsonBody(ctx), ctx.version);
      if (p.apps.has(cfg.name)) {
        throw new EmuError(
          409,
          'resource_already_exists',
          `An app with the name "${cfg.name}" already exists in this project.`,
          { type: 'field', name: 'name' },
        );
      }
      if (p.apps.size >= QUOTAS.apps) {
        throw new EmuError(400, 'quota_exceeded', `The project has reached its limit of ${QUOTAS.apps} apps.`);
      }
      const app: EmuApp = {
        id: randomUUID(),
        name: cfg.name,
        created_at: nowIso(),
        config: cfg,
        etag: ctx.state.nextEtag(),
        revisions: [],
        nextRevision: 1,
      };
      addRevision(ctx, p, app, cfg);
      p.apps.set(app.name, app);
      return reply(ctx, p, app, 201);
    }),
    route('GET', `${base}/:app_name`, (ctx) => {
      const p = projectOf(ctx);
      return reply(ctx, p, appOf(ctx, p), 200);
    }),
    route('PATCH', `${base}/:app_name`, (ctx) => {
      const p = projectOf(ctx);
      const app = appOf(ctx, p);
      const patch = jsonBody(ctx, ['application/merge-patch+json']);
      checkIfMatch(
        ctx,
        () => app.etag,
        () => (app.etag = ctx.state.nextEtag()),
      );
      if ('name' in patch && patch.name !== app.name) {
        throw new EmuError(400, 'invalid_field_value', 'The field name cannot be changed.', {
          type: 'field',
          name: 'name',
        });
      }
      const merged = mergePatch(app.config, patch) as Record<string, unknown>;
      const cfg = normalizeApp({ ...merged, name: app.name }, ctx.version);
      if (jsonEqual(cfg, app.config)) return reply(ctx, p, app, 200);
      addRevision(ctx, p, app, cfg);
      app.config = cfg;
      app.etag = ctx.state.nextEtag();
      return reply(ctx, p, app, 200);
    }),
    route('DELETE', `${base}/:app_name`, (ctx) => {
      const p = projectOf(ctx);
      const app = appOf(ctx, p);
      p.apps.delete(app.name);
      ctx.render.runtime?.remove(p, app);
      return { status: 202 };
    }),
    route('GET', `${base}/:app_name/revisions`, (ctx) => {
      const p = projectOf(ctx);
      const app = appOf(ctx, p);
      const items = [...app.revisions].reverse().map((r) => renderRevision(ctx.render, p, app, r));
      return { status: 200, body: paginate(items, ctx.query, `${ctx.render.baseUrl}${ctx.path}`, 'revisions') };
    }),
    route('GET', `${base}/:app_name/revisions/:revision_name`, (ctx) => {
      const p = projectOf(ctx);
      const app = appOf(ctx, p);
      const rev = app.revisions.find((r) => r.name === ctx.params.revision_name);
      if (!rev) throw notFound();
      return { status: 200, body: renderRevision(ctx.render, p, app, rev) };
    }),
    route('DELETE', `${base}/:app_name/revisions/:revision_name`, (ctx) => {
      const p = projectOf(ctx);
      const app = appOf(ctx, p);
      const rev = app.revisions.find((r) => r.name === ctx.params.revision_name);
      if (!rev) throw notFound();
      if (rev === latestRevision(app) || rev === latestReadyRevision(app)) {
        throw new EmuError(
          400,
          'revision_in_use',
          'The latest created or latest ready revision of an app cannot be deleted.',
        );
      }
      app.revisions.splice(app.revisions.indexOf(rev), 1);
      return { status: 202 };
    }),
    route('GET', `${base}/:app_name/instances`, async (ctx) => {
      const p = projectOf(ctx);
      const app = appOf(ctx, p);
      const items = ctx.render.runtime
        ? await ctx.render.runtime.instances(p, app, ctx.render)
        : simulatedInstances(ctx.render, p, app);
      return { status: 200, body: paginate(items, ctx.query, `${ctx.render.baseUrl}${ctx.path}`, 'instances') };
    }),
  ];
}
