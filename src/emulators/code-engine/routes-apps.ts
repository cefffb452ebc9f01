// Emulator routes for apps, app revisions and app instances (reference §5): CRUD with ETags,
// merge-patch updates creating revisions, quotas, and lifecycle via lazy timing or the runtime.
// Validation rules live in validate-app.ts; JSON shapes in render.ts.

import { randomUUID } from 'node:crypto';
import { EmuError, notFound, paginate, route, type Reply, type Route } from './http-util.js';
import { checkIfMatch, etagHeaders, jsonBody, jsonEqual, projectOf, realistic, type HandlerCtx } from './handlers.js';
import { renderApp, renderRevision, simulatedInstances } from './render.js';
import { QUOTAS, latestReadyRevision, latestRevision, nowIso, type EmuApp, type EmuProject } from './state.js';
import { mergePatch, normalizeApp, type AppConfig } from './validate-app.js';

function appOf(ctx: HandlerCtx, p: EmuProject): EmuApp {
  advance(ctx, p);
  const a = p.apps.get(ctx.params.app_name);
  if (!a) throw notFound();
  return a;
}

function checkRevisionQuota(ctx: HandlerCtx, p: EmuProject, app: EmuApp): void {
  const retention = Math.max(1, ctx.options.revisionRetention);
  const willCollect = app.revisions.length >= retention ? 1 : 0;
  const pending = [...p.apps.values()].filter((a) => a.pendingRevision && a !== app).length;
  if (ctx.state.revisionCount(p) + pending + 1 - willCollect > QUOTAS.revisions) {
    throw new EmuError(
      400,
      'quota_exceeded',
      `The project has reached its limit of ${QUOTAS.revisions} app revisions. Delete apps or old revisions first.`,
    );
  }
}

/** Adds revision `<app>-0000N` for `config`, garbage-collecting old ones (quota checked before). */
function addRevision(ctx: HandlerCtx, p: EmuProject, app: EmuApp, config: AppConfig): void {
  const retention = Math.max(1, ctx.options.revisionRetention);
  const index = app.nextRevision++;
  const rev = {
    id: randomUUID(),
    name: `${app.name}-${String(index).padStart(5, '0')}`,
    created_at: nowIso(),
    config: structuredClone(config),
    status: 'loading' as const,
    reason: 'deploying',
    readyAt: ctx.render.runtime ? Number.POSITIVE_INFINITY : Date.now() + ctx.state.timing.appReadyDelayMs,
    ...(ctx.faults.failImage && config.image_reference.includes(ctx.faults.failImage)
      ? { failReason: 'fetch_image_failed_unknown_manifest' }
      : {}),
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

/**
 * A write's revision: at once in strict-client mode; in realistic mode after `revisionLagMs`
 * (Knative creates the revision when its controller reconciles the service, after the API has
 * answered), coalescing writes made before it exists.
 */
function requestRevision(ctx: HandlerCtx, p: EmuProject, app: EmuApp, config: AppConfig): void {
  checkRevisionQuota(ctx, p, app);
  if (!realistic(ctx)) return addRevision(ctx, p, app, config);
  app.pendingRevision = { config: structuredClone(config), at: Date.now() + ctx.state.timing.revisionLagMs };
}

/**
 * Advances the time-driven parts of realistic mode for every app of the project: pending
 * revisions come into being, apps whose deletion has run its course disappear.
 */
function advance(ctx: HandlerCtx, p: EmuProject): void {
  const now = Date.now();
  for (const app of [...p.apps.values()]) {
    if (app.deletingUntil !== undefined) {
      if (now >= app.deletingUntil) p.apps.delete(app.name);
      continue;
    }
    if (app.pendingRevision && now >= app.pendingRevision.at) {
      const { config } = app.pendingRevision;
      app.pendingRevision = undefined;
      addRevision(ctx, p, app, config);
    }
  }
}

/** `local_private` needs a project that supports private visibility. */
function checkVisibility(p: EmuProject, cfg: AppConfig): void {
  if (cfg.managed_domain_mappings === 'local_private' && !p.privateVisibility)
    throw new EmuError(
      400,
      'private_visibility_not_supported',
      'This project does not support private visibility (local_private). Use local_public or local.',
      { type: 'field', name: 'managed_domain_mappings' },
    );
}

function beingDeleted(app: EmuApp): EmuError {
  return new EmuError(
    409,
    'resource_being_deleted',
    `The app "${app.name}" is being deleted. Wait until it is gone before creating or changing it.`,
    { type: 'app', name: app.name },
  );
}

function reply(ctx: HandlerCtx, p: EmuProject, app: EmuApp, status: number): Reply {
  return { status, body: renderApp(ctx.render, p, app), headers: etagHeaders(app.etag) };
}

export function appRoutes(): Route<HandlerCtx>[] {
  const base = '/v2/projects/:project_id/apps';
  return [
    route('GET', base, (ctx) => {
      const p = projectOf(ctx);
      advance(ctx, p);
      const items = [...p.apps.values()].map((a) => renderApp(ctx.render, p, a));
      return { status: 200, body: paginate(items, ctx.query, `${ctx.render.baseUrl}${ctx.path}`, 'apps') };
    }),
    route('POST', base, (ctx) => {
      const p = projectOf(ctx);
      advance(ctx, p);
      const cfg = normalizeApp(jsonBody(ctx), ctx.version);
      checkVisibility(p, cfg);
      const existing = p.apps.get(cfg.name);
      if (existing?.deletingUntil !== undefined) throw beingDeleted(existing);
      if (existing) {
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
      requestRevision(ctx, p, app, cfg);
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
      if (app.deletingUntil !== undefined) throw beingDeleted(app);
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
      checkVisibility(p, cfg);
      if (jsonEqual(cfg, app.config)) return reply(ctx, p, app, 200);
      requestRevision(ctx, p, app, cfg);
      app.config = cfg;
      app.etag = ctx.state.nextEtag();
      return reply(ctx, p, app, 200);
    }),
    route('DELETE', `${base}/:app_name`, (ctx) => {
      const p = projectOf(ctx);
      const app = appOf(ctx, p);
      if (app.deletingUntil === undefined) ctx.render.runtime?.remove(p, app);
      // Realistic mode: `ibmcloud ce app delete --no-wait` "begins the delete and does not wait";
      // the app stays visible until Knative has torn it down.
      if (realistic(ctx)) {
        app.deletingUntil ??= Date.now() + ctx.state.timing.deleteDelayMs;
        app.pendingRevision = undefined;
      } else p.apps.delete(app.name);
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
