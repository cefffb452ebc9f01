// Emulator routes for projects, secrets, builds and build runs (reference §4, §7, §8).
// Status codes per §2: POST project/build run 202, other POSTs 201, DELETE 202 with no body.
// Secret values are stored and returned like the real API, but never quoted in errors.

import { createHash, randomUUID } from 'node:crypto';
import { EmuError, badField, notFound, paginate, route, type Route } from './http-util.js';
import { checkIfMatch, etagHeaders, jsonBody, jsonEqual, projectOf, type HandlerCtx } from './handlers.js';
import { renderBuild, renderBuildRun, renderProject, renderSecret } from './render.js';
import { QUOTAS, nowIso, type EmuBuildRun, type EmuProject } from './state.js';
import { mergePatch } from './validate-app.js';
import { BUILD_NAME, SECRET_NAME, normalizeBuild, validateSecretData } from './validate-other.js';
import type { BuildPrototype } from './wire.js';

const PROJECT_NAME = /^([a-zA-Z0-9\-._: ]|[^\x00-\x7F])+$/;

function list(ctx: HandlerCtx, key: string, items: unknown[]): { status: number; body: unknown } {
  return { status: 200, body: paginate(items, ctx.query, `${ctx.render.baseUrl}${ctx.path}`, key) };
}

export function projectRoutes(): Route<HandlerCtx>[] {
  return [
    route('GET', '/v2/projects', (ctx) =>
      list(
        ctx,
        'projects',
        [...ctx.state.projects.values()].map((p) => renderProject(ctx.render, p)),
      ),
    ),
    route('POST', '/v2/projects', (ctx) => {
      const body = jsonBody(ctx);
      for (const k of Object.keys(body))
        if (!['name', 'resource_group_id', 'tags'].includes(k))
          throw badField(k, `Unknown field ${k}.`, 'unknown_field');
      const name = body.name;
      if (typeof name !== 'string' || name.length < 1 || name.length > 128 || !PROJECT_NAME.test(name)) {
        throw badField(
          'name',
          'The project name must be 1-128 characters of letters, digits, space, "-", ".", "_" and ":".',
          name === undefined ? 'missing_field' : 'invalid_field_value',
        );
      }
      if ([...ctx.state.projects.values()].some((p) => p.name === name)) {
        throw new EmuError(
          409,
          'resource_already_exists',
          `A project with the name "${name}" already exists in this region.`,
          { type: 'field', name: 'name' },
        );
      }
      if (ctx.state.projects.size >= QUOTAS.projects)
        throw new EmuError(400, 'quota_exceeded', `The limit of ${QUOTAS.projects} projects per region is reached.`);
      const p = ctx.state.addProject({ name, region: ctx.render.region });
      if (typeof body.resource_group_id === 'string') p.resource_group_id = body.resource_group_id;
      return { status: 202, body: renderProject(ctx.render, p) };
    }),
    route('GET', '/v2/projects/:project_id', (ctx) => ({
      status: 200,
      body: renderProject(ctx.render, projectOf(ctx)),
    })),
    route('DELETE', '/v2/projects/:project_id', (ctx) => {
      const p = projectOf(ctx);
      for (const app of p.apps.values()) ctx.render.runtime?.remove(p, app);
      ctx.state.projects.delete(p.id);
      return { status: 202 };
    }),
    route('GET', '/v2/projects/:project_id/status_details', (ctx) => {
      const p = projectOf(ctx);
      const active = Date.now() >= p.readyAt;
      return {
        status: 200,
        body: {
          project: active ? 'enabled' : 'disabled',
          domain: active ? 'ready' : 'unknown',
          vpe: active ? 'ready' : 'unknown',
        },
      };
    }),
    route('GET', '/v2/projects/:project_id/egress_ips', (ctx) => {
      projectOf(ctx);
      return { status: 200, body: { private: [], public: [] } };
    }),
  ];
}

export function secretRoutes(): Route<HandlerCtx>[] {
  const base = '/v2/projects/:project_id/secrets';
  const secretOf = (ctx: HandlerCtx, p: EmuProject) => {
    const s = p.secrets.get(ctx.params.secret_name);
    if (!s) throw notFound();
    return s;
  };
  return [
    route('GET', base, (ctx) => {
      const p = projectOf(ctx);
      const format = ctx.query.get('format');
      const items = [...p.secrets.values()]
        .filter((s) => !format || s.format === format)
        .map((s) => renderSecret(ctx.render, p, s, true));
      return list(ctx, 'secrets', items);
    }),
    route('POST', base, (ctx) => {
      const p = projectOf(ctx);
      const body = jsonBody(ctx);
      for (const k of Object.keys(body))
        if (!['name', 'format', 'data', 'service_access', 'service_operator'].includes(k))
          throw badField(k, `Unknown field ${k}.`, 'unknown_field');
      const name = body.name;
      if (typeof name !== 'string' || !name) throw badField('name', 'The field name is required.', 'missing_field');
      if (name.length > 253 || !SECRET_NAME.test(name))
        throw badField(
          'name',
          `The secret name must be a DNS subdomain (${SECRET_NAME.source}, at most 253 characters).`,
        );
      const { format, data } = validateSecretData(body);
      if (p.secrets.has(name))
        throw new EmuError(
          409,
          'resource_already_exists',
          `A secret with the name "${name}" already exists in this project.`,
          { type: 'field', name: 'name' },
        );
      if (p.secrets.size >= QUOTAS.secrets)
        throw new EmuError(400, 'quota_exceeded', `The project has reached its limit of ${QUOTAS.secrets} secrets.`);
      const s = {
        id: randomUUID(),
        name,
        created_at: nowIso(),
        format,
        data,
        etag: ctx.state.nextEtag(),
        generated_by: 'user' as const,
      };
      p.secrets.set(name, s);
      return { status: 201, body: renderSecret(ctx.render, p, s), headers: etagHeaders(s.etag) };
    }),
    route('GET', `${base}/:secret_name`, (ctx) => {
      const p = projectOf(ctx);
      const s = secretOf(ctx, p);
      return { status: 200, body: renderSecret(ctx.render, p, s), headers: etagHeaders(s.etag) };
    }),
    route('PUT', `${base}/:secret_name`, (ctx) => {
      const p = projectOf(ctx);
      const s = secretOf(ctx, p);
      const body = jsonBody(ctx);
      checkIfMatch(
        ctx,
        () => s.etag,
        () => (s.etag = ctx.state.nextEtag()),
      );
      for (const k of Object.keys(body))
        if (!['format', 'data'].includes(k)) throw badField(k, `Unknown field ${k}.`, 'unknown_field');
      const { format, data } = validateSecretData(body);
      if (format !== s.format)
        throw badField('format', `The format of an existing secret cannot change (it is ${s.format}).`);
      if (!jsonEqual(data, s.data)) {
        s.data = data;
        s.etag = ctx.state.nextEtag();
      }
      return { status: 200, body: renderSecret(ctx.render, p, s), headers: etagHeaders(s.etag) };
    }),
    route('DELETE', `${base}/:secret_name`, (ctx) => {
      const p = projectOf(ctx);
      p.secrets.delete(secretOf(ctx, p).name);
      return { status: 202 };
    }),
  ];
}

export function buildRoutes(): Route<HandlerCtx>[] {
  const base = '/v2/projects/:project_id/builds';
  const buildOf = (ctx: HandlerCtx, p: EmuProject) => {
    const b = p.builds.get(ctx.params.build_name);
    if (!b) throw notFound();
    return b;
  };
  return [
    route('GET', base, (ctx) => {
      const p = projectOf(ctx);
      return list(
        ctx,
        'builds',
        [...p.builds.values()].map((b) => renderBuild(ctx.render, p, b)),
      );
    }),
    route('POST', base, (ctx) => {
      const p = projectOf(ctx);
      const cfg = normalizeBuild(jsonBody(ctx), { requireName: true });
      if (p.builds.has(cfg.name))
        throw new EmuError(
          409,
          'resource_already_exists',
          `A build with the name "${cfg.name}" already exists in this project.`,
          { type: 'field', name: 'name' },
        );
      if (p.builds.size >= QUOTAS.builds)
        throw new EmuError(400, 'quota_exceeded', `The project has reached its limit of ${QUOTAS.builds} builds.`);
      const b = { id: randomUUID(), name: cfg.name, created_at: nowIso(), config: cfg, etag: ctx.state.nextEtag() };
      p.builds.set(b.name, b);
      return { status: 201, body: renderBuild(ctx.render, p, b), headers: etagHeaders(b.etag) };
    }),
    route('GET', `${base}/:build_name`, (ctx) => {
      const p = projectOf(ctx);
      const b = buildOf(ctx, p);
      return { status: 200, body: renderBuild(ctx.render, p, b), headers: etagHeaders(b.etag) };
    }),
    route('PATCH', `${base}/:build_name`, (ctx) => {
      const p = projectOf(ctx);
      const b = buildOf(ctx, p);
      const patch = jsonBody(ctx, ['application/merge-patch+json']);
      checkIfMatch(
        ctx,
        () => b.etag,
        () => (b.etag = ctx.state.nextEtag()),
      );
      if ('name' in patch && patch.name !== b.name) throw badField('name', 'The field name cannot be changed.');
      const cfg = normalizeBuild(
        { ...(mergePatch(b.config, patch) as Record<string, unknown>), name: b.name },
        { requireName: true },
      );
      if (!jsonEqual(cfg, b.config)) {
        b.config = cfg;
        b.etag = ctx.state.nextEtag();
      }
      return { status: 200, body: renderBuild(ctx.render, p, b), headers: etagHeaders(b.etag) };
    }),
    route('DELETE', `${base}/:build_name`, (ctx) => {
      const p = projectOf(ctx);
      const b = buildOf(ctx, p);
      p.builds.delete(b.name);
      // Like Kubernetes owner references: a build's runs go with it.
      for (const r of [...p.buildRuns.values()]) if (r.build_name === b.name) p.buildRuns.delete(r.name);
      return { status: 202 };
    }),
  ];
}

function runName(build: string | undefined, taken: (n: string) => boolean): string {
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
  const base = `${(build ?? 'build').slice(0, 40)}-run-${stamp}`;
  let name = base;
  for (let i = 1; taken(name); i++) name = `${base}-${i}`;
  return name;
}

export function buildRunRoutes(): Route<HandlerCtx>[] {
  const base = '/v2/projects/:project_id/build_runs';
  const runOf = (ctx: HandlerCtx, p: EmuProject) => {
    const r = p.buildRuns.get(ctx.params.build_run_name);
    if (!r) throw notFound();
    return r;
  };
  return [
    route('GET', base, (ctx) => {
      const p = projectOf(ctx);
      const buildName = ctx.query.get('build_name');
      const items = [...p.buildRuns.values()]
        .filter((r) => !buildName || r.build_name === buildName)
        .map((r) => renderBuildRun(ctx.render, p, r));
      return list(ctx, 'build_runs', items);
    }),
    route('POST', base, (ctx) => {
      const p = projectOf(ctx);
      const body = jsonBody(ctx);
      const { build_name: buildName, name, service_account: sa, ...overrides } = body;
      if (buildName !== undefined && typeof buildName !== 'string')
        throw badField('build_name', 'The field build_name must be a string.');
      if (name !== undefined && (typeof name !== 'string' || name.length > 63 || !BUILD_NAME.test(name)))
        throw badField('name', `The field name must match ${BUILD_NAME.source} (at most 63 characters).`);
      if (sa !== undefined && !['default', 'manager', 'reader', 'writer', 'none'].includes(sa as string))
        throw badField('service_account', 'service_account must be one of: default, manager, reader, writer, none.');
      const build = buildName ? p.builds.get(buildName) : undefined;
      let config: Partial<BuildPrototype>;
      if (buildName) {
        const { name: _n, ...inherited } = build?.config ?? ({} as BuildPrototype);
        config = { ...inherited, ...(overrides as Partial<BuildPrototype>) };
      } else {
        const { name: _n, ...rest } = normalizeBuild(overrides, { requireName: false });
        config = rest;
      }
      const runNameFinal =
        (name as string | undefined) ?? runName(buildName as string | undefined, (n) => p.buildRuns.has(n));
      if (p.buildRuns.has(runNameFinal))
        throw new EmuError(
          409,
          'resource_already_exists',
          `A build run with the name "${runNameFinal}" already exists in this project.`,
          { type: 'field', name: 'name' },
        );
      if (p.buildRuns.size >= QUOTAS.buildRuns)
        throw new EmuError(
          400,
          'quota_exceeded',
          `The project has reached its limit of ${QUOTAS.buildRuns} build runs.`,
        );
      const run: EmuBuildRun = {
        id: randomUUID(),
        name: runNameFinal,
        created_at: nowIso(),
        build_name: buildName as string | undefined,
        service_account: (sa as string | undefined) ?? 'default',
        config,
        status: 'pending',
        details: { reason: 'pending' },
      };
      p.buildRuns.set(run.name, run);
      if (buildName && !build) {
        run.status = 'failed';
        run.details = { reason: 'build_not_found', completion_time: nowIso() };
      } else if (ctx.render.runtime) {
        ctx.render.runtime.runBuild(p, run);
      } else {
        const t = ctx.state.timing;
        run.runningAt = Date.now() + t.buildRunPendingMs;
        run.doneAt = run.runningAt + t.buildRunDurationMs;
        run.willFail = ctx.faults.failBuildRuns;
        const h = (s: string): string => createHash('sha256').update(s).digest('hex');
        run.details.git_branch_name = config.source_revision ?? 'main';
        run.details.git_commit_sha = h(`${config.source_url}#${config.source_revision ?? ''}`).slice(0, 40);
        run.details.git_commit_author = 'emulator';
        run.details.source_timestamp = nowIso();
        run.details.output_digest = `sha256:${h(`${run.id}:${config.output_image}`)}`;
      }
      return { status: 202, body: renderBuildRun(ctx.render, p, run) };
    }),
    route('GET', `${base}/:build_run_name`, (ctx) => {
      const p = projectOf(ctx);
      return { status: 200, body: renderBuildRun(ctx.render, p, runOf(ctx, p)) };
    }),
    route('DELETE', `${base}/:build_run_name`, (ctx) => {
      const p = projectOf(ctx);
      p.buildRuns.delete(runOf(ctx, p).name);
      return { status: 202 };
    }),
  ];
}
