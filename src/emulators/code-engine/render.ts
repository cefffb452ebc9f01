// Renders emulator state as Code Engine v2 JSON objects (computed fields, endpoints, statuses),
// and defines the seam to an optional container runtime (Docker mode).
// Read-only over the state, except for lazily advancing time-driven lifecycles.

import { createHash } from 'node:crypto';
import type { AppInstance, EnvVar, Probe } from './wire.js';
import type { AppConfig } from './validate-app.js';
import { secretResourceType } from './validate-other.js';
import {
  ACCOUNT_ID,
  advanceBuildRun,
  latestReadyRevision,
  latestRevision,
  revisionStatus,
  type EmuApp,
  type EmuBuild,
  type EmuBuildRun,
  type EmuProject,
  type EmuRevision,
  type EmuSecret,
} from './state.js';

export interface RenderContext {
  /** The emulator's own origin, e.g. `http://127.0.0.1:4000`. */
  baseUrl: string;
  region: string;
  runtime?: AppRuntime;
  /** Realistic mode: probe defaults filled in on read, secret lists without `data`. */
  realistic?: boolean;
}

/**
 * Realistic mode: a probe as the service reads it back, every field with its default (IBM's
 * Terraform provider documents type tcp, interval 10, timeout 1, failure_threshold 1; port and
 * initial_delay come back as 0 when unset). An app without a readiness probe gets the default one.
 */
export function probeAsRead(p: Probe | undefined, readiness: boolean): Probe | undefined {
  if (!p && !readiness) return undefined;
  const q = p ?? {};
  return {
    type: q.type ?? 'tcp',
    ...(q.path !== undefined ? { path: q.path } : {}),
    port: q.port ?? 0,
    initial_delay: q.initial_delay ?? 0,
    interval: q.interval ?? 10,
    timeout: q.timeout ?? 1,
    failure_threshold: q.failure_threshold ?? 1,
  };
}

function configAsRead(ctx: RenderContext, config: AppConfig): Record<string, unknown> {
  const c: Record<string, unknown> = structuredClone(config);
  if (!ctx.realistic) return c;
  c.probe_readiness = probeAsRead(config.probe_readiness, true);
  const live = probeAsRead(config.probe_liveness, false);
  if (live) c.probe_liveness = live;
  return c;
}

/** Runs app images and builds for real (Docker mode); absent in pure simulation mode. */
export interface AppRuntime {
  deploy(project: EmuProject, app: EmuApp, revision: EmuRevision): void;
  remove(project: EmuProject, app: EmuApp): void;
  /** `http://127.0.0.1:<port>` once the container's port is published. */
  endpoint(project: EmuProject, app: EmuApp): string | undefined;
  /** The URL other apps of the project reach this one at. */
  internalEndpoint(project: EmuProject, app: EmuApp): string;
  instances(project: EmuProject, app: EmuApp, ctx: RenderContext): Promise<AppInstance[]>;
  runBuild(project: EmuProject, run: EmuBuildRun): void;
  close(): Promise<void>;
}

const projectHref = (ctx: RenderContext, p: EmuProject): string => `${ctx.baseUrl}/v2/projects/${p.id}`;

export function renderProject(ctx: RenderContext, p: EmuProject): Record<string, unknown> {
  return {
    account_id: ACCOUNT_ID,
    created_at: p.created_at,
    crn: `crn:v1:bluemix:public:codeengine:${ctx.region}:a/${ACCOUNT_ID}:${p.id}::`,
    href: projectHref(ctx, p),
    id: p.id,
    name: p.name,
    region: ctx.region,
    resource_group_id: p.resource_group_id,
    resource_type: 'project_v2',
    status: Date.now() >= p.readyAt ? 'active' : 'creating',
  };
}

export function computedEnv(ctx: RenderContext, p: EmuProject, app: EmuApp): EnvVar[] {
  const lit = (name: string, value: string): EnvVar => ({ type: 'literal', name, value });
  return [
    lit('CE_API_BASE_URL', `https://api.${ctx.region}.codeengine.cloud.ibm.com`),
    lit('CE_APP', app.name),
    lit('CE_DOMAIN', `${ctx.region}.codeengine.appdomain.cloud`),
    lit('CE_PROJECT_ID', p.id),
    lit('CE_REGION', ctx.region),
    lit('CE_SUBDOMAIN', p.subdomain),
  ];
}

export function appStatus(app: EmuApp): {
  status: string;
  reason: string;
  latestReady?: EmuRevision;
  latest?: EmuRevision;
} {
  const latest = latestRevision(app);
  const ready = latestReadyRevision(app);
  const st = latest ? revisionStatus(latest) : 'loading';
  if (st === 'ready') return { status: 'ready', reason: 'ready', latestReady: ready, latest };
  if (st === 'failed') {
    return ready
      ? { status: 'warning', reason: 'ready_but_latest_revision_failed', latestReady: ready, latest }
      : { status: 'failed', reason: 'no_revision_ready', latest };
  }
  return { status: 'deploying', reason: 'deploying', latestReady: ready, latest };
}

export function renderApp(ctx: RenderContext, p: EmuProject, app: EmuApp): Record<string, unknown> {
  const s = appStatus(app);
  const visibility = app.config.managed_domain_mappings;
  let endpoint: string | undefined;
  if (visibility !== 'local') {
    endpoint = ctx.runtime
      ? ctx.runtime.endpoint(p, app)
      : visibility === 'local_private'
        ? `https://${app.name}.${p.subdomain}.private.${ctx.region}.codeengine.appdomain.cloud`
        : `https://${app.name}.${p.subdomain}.${ctx.region}.codeengine.appdomain.cloud`;
  }
  return {
    ...configAsRead(ctx, app.config),
    id: app.id,
    href: `${projectHref(ctx, p)}/apps/${app.name}`,
    project_id: p.id,
    region: ctx.region,
    resource_type: 'app_v2',
    created_at: app.created_at,
    entity_tag: app.etag,
    ...(endpoint ? { endpoint } : {}),
    endpoint_internal: ctx.runtime
      ? ctx.runtime.internalEndpoint(p, app)
      : `http://${app.name}.${p.subdomain}.svc.cluster.local`,
    status: s.status,
    status_details: {
      ...(s.latest ? { latest_created_revision: s.latest.name } : {}),
      ...(s.latestReady ? { latest_ready_revision: s.latestReady.name } : {}),
      reason: s.reason,
    },
    computed_env_variables: computedEnv(ctx, p, app),
  };
}

export function renderRevision(
  ctx: RenderContext,
  p: EmuProject,
  app: EmuApp,
  rev: EmuRevision,
): Record<string, unknown> {
  const status = revisionStatus(rev);
  return {
    ...configAsRead(ctx, rev.config),
    name: rev.name,
    app_name: app.name,
    id: rev.id,
    href: `${projectHref(ctx, p)}/apps/${app.name}/revisions/${rev.name}`,
    project_id: p.id,
    region: ctx.region,
    resource_type: 'app_revision_v2',
    created_at: rev.created_at,
    status,
    status_details: { actual_instances: status === 'ready' ? simulatedInstanceCount(rev) : 0, reason: rev.reason },
    computed_env_variables: computedEnv(ctx, p, app),
  };
}

/** Simulation mode: min instances, or the initial ones started on deploy, capped by max. */
export function simulatedInstanceCount(rev: EmuRevision): number {
  const c = rev.config;
  const n = Math.max(c.scale_min_instances, c.scale_initial_instances);
  return c.scale_max_instances > 0 ? Math.min(n, c.scale_max_instances) : n;
}

export function simulatedInstances(ctx: RenderContext, p: EmuProject, app: EmuApp): AppInstance[] {
  const rev = latestReadyRevision(app);
  if (!rev) return [];
  const out: AppInstance[] = [];
  for (let i = 0; i < simulatedInstanceCount(rev); i++) {
    const h = createHash('sha256').update(`${rev.id}/${i}`).digest('hex');
    const name = `${rev.name}-deployment-${h.slice(0, 10)}-${h.slice(10, 15)}`;
    out.push(
      instanceObject(ctx, p, app, rev, {
        name,
        id: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`,
        status: 'running',
        restarts: 0,
        startedAt: rev.created_at,
      }),
    );
  }
  return out;
}

export function instanceObject(
  ctx: RenderContext,
  p: EmuProject,
  app: EmuApp,
  rev: EmuRevision,
  o: {
    name: string;
    id: string;
    status: AppInstance['status'];
    restarts: number;
    startedAt: string;
    exitCode?: number;
    completedAt?: string;
  },
): AppInstance {
  const containerStatus = o.status === 'running' ? 'running' : o.status === 'pending' ? 'pending' : 'terminated';
  return {
    id: o.id,
    name: o.name,
    href: `${projectHref(ctx, p)}/apps/${app.name}/instances/${o.name}`,
    app_name: app.name,
    revision_name: rev.name,
    created_at: o.startedAt,
    project_id: p.id,
    region: ctx.region,
    resource_type: 'app_instance_v2',
    scale_cpu_limit: rev.config.scale_cpu_limit,
    scale_memory_limit: rev.config.scale_memory_limit,
    scale_ephemeral_storage_limit: rev.config.scale_ephemeral_storage_limit,
    status: o.status,
    status_details: {
      restarts: o.restarts,
      user_container: {
        current_state: {
          container_status: containerStatus,
          started_at: o.startedAt,
          ...(o.completedAt ? { completed_at: o.completedAt } : {}),
          ...(o.exitCode !== undefined ? { exit_code: o.exitCode } : {}),
        },
      },
      system_container: {
        current_state: {
          container_status: containerStatus === 'terminated' ? 'terminated' : 'running',
          started_at: o.startedAt,
        },
      },
    },
  };
}

/**
 * `listed`: the object as a list item. In realistic mode it has no `data`: IBM's SDK marks
 * `Secret.data` optional and its Terraform provider reads data only from a single-secret GET.
 */
export function renderSecret(ctx: RenderContext, p: EmuProject, s: EmuSecret, listed = false): Record<string, unknown> {
  return {
    created_at: s.created_at,
    ...(listed && ctx.realistic ? {} : { data: { ...s.data } }),
    entity_tag: s.etag,
    format: s.format,
    generated_by: s.generated_by,
    href: `${projectHref(ctx, p)}/secrets/${s.name}`,
    id: s.id,
    name: s.name,
    project_id: p.id,
    region: ctx.region,
    resource_type: secretResourceType(s.format),
  };
}

export function buildStatus(p: EmuProject, b: EmuBuild): { status: 'ready' | 'failed'; reason: string } {
  if (!p.secrets.has(b.config.output_secret)) return { status: 'failed', reason: 'spec_output_secret_ref_not_found' };
  if (b.config.source_secret && !p.secrets.has(b.config.source_secret))
    return { status: 'failed', reason: 'spec_source_secret_not_found' };
  return { status: 'ready', reason: 'registered' };
}

export function renderBuild(ctx: RenderContext, p: EmuProject, b: EmuBuild): Record<string, unknown> {
  const s = buildStatus(p, b);
  return {
    ...structuredClone(b.config),
    name: b.name,
    id: b.id,
    href: `${projectHref(ctx, p)}/builds/${b.name}`,
    project_id: p.id,
    region: ctx.region,
    resource_type: 'build_v2',
    created_at: b.created_at,
    entity_tag: b.etag,
    status: s.status,
    status_details: { reason: s.reason },
  };
}

export function renderBuildRun(ctx: RenderContext, p: EmuProject, r: EmuBuildRun): Record<string, unknown> {
  advanceBuildRun(r);
  // The digest and completion time only exist once the run has finished.
  const hidden =
    r.status === 'succeeded' ? [] : r.status === 'failed' ? ['output_digest'] : ['output_digest', 'completion_time'];
  const details = Object.fromEntries(
    Object.entries(r.details).filter(([k, v]) => v !== undefined && !hidden.includes(k)),
  );
  return {
    ...structuredClone(r.config),
    ...(r.build_name ? { build_name: r.build_name } : {}),
    name: r.name,
    id: r.id,
    href: `${projectHref(ctx, p)}/build_runs/${r.name}`,
    project_id: p.id,
    region: ctx.region,
    resource_type: 'build_run_v2',
    created_at: r.created_at,
    service_account: r.service_account,
    status: r.status,
    status_details: details,
  };
}
