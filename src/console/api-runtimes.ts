// The runtime routes of the console API: the list (live status joined with state, config and
// the gateway's upstream sessions), one runtime's detail (guardrails asked vs enforced, usage,
// last apply, lock entry, recent events) and its logs, as JSON or followed over SSE.

import { collectStatus, type LiveStatus, type RuntimeStatus } from '../apply/live-status.js';
import type { Backend } from '../backends/backend.js';
import { profileCheck } from '../config/index.js';
import type { LoadedConfig } from '../config/index.js';
import type { UpstreamStatus } from '../gateway/index.js';
import { lockPathFor, readLock } from '../lock/file.js';
import type { ConsoleContext } from './context.js';
import { ApiError, type ApiReply, type Route } from './route.js';
import { eventView } from './api-events.js';

export interface RuntimeSummary extends RuntimeStatus {
  name: string;
  backendType?: string;
  gateway?: {
    state: UpstreamStatus['state'];
    lastError?: string;
    since: string;
    tools: number;
    prompts: number;
    resources: number;
  };
}

export async function liveStatus(
  ctx: ConsoleContext,
  inspect = true,
): Promise<{ live: LiveStatus; backends: Record<string, Backend> }> {
  const config = ctx.config;
  const opened = await ctx.backends();
  const live = await collectStatus({ config, backends: opened.value, store: ctx.store, inspect });
  live.diags.push(...opened.diags);
  return { live, backends: opened.value };
}

/** Status rows with their backend type and gateway session; the shape GET /runtimes returns. */
export function summaries(ctx: ConsoleContext, live: LiveStatus): RuntimeSummary[] {
  const gw = new Map(ctx.deps.gatewayStatus().map((u) => [u.name, u]));
  const config = ctx.config;
  return live.rows.map((r) => {
    const { runtime, ...rest } = r;
    const s: RuntimeSummary = { name: runtime, runtime, ...rest };
    const type = config.backends[r.backend]?.type;
    if (type) s.backendType = type;
    const u = gw.get(runtime);
    if (u)
      s.gateway = {
        state: u.state,
        ...(u.lastError ? { lastError: u.lastError } : {}),
        since: u.since,
        tools: u.tools,
        prompts: u.prompts,
        resources: u.resources,
        ...(u.lock ? { lock: u.lock } : {}),
      };
    return s;
  });
}

/** Strips the alias `runtime` (the API calls it name). */
function view(s: RuntimeSummary): Record<string, unknown> {
  const { runtime: _r, ...rest } = s;
  return rest;
}

function problems(live: LiveStatus): string[] {
  return live.diags.filter((d) => d.severity === 'error').map((d) => d.summary);
}

function profileOf(config: LoadedConfig, runtime: string): string | undefined {
  const r = config.runtimes.find((x) => x.name === runtime);
  if (!r) return undefined;
  return r.guardrails_profile ?? config.catalog[r.catalog]?.guardrails_profile ?? config.defaultProfile;
}

/**
 * The runtime's entry of contextforge.lock (issue 13), when a lock exists: the pinned artifact
 * and the pinned tool surface as names and hashes (the definitions stay in the file).
 */
function lockEntry(config: LoadedConfig, runtime: string): Record<string, unknown> | undefined {
  const read = readLock(lockPathFor(config.path));
  if (read.diags.length) return { error: read.diags[0].summary };
  const entry = read.value?.runtimes[runtime];
  if (!read.value) return undefined;
  if (!entry) return { pinned: false };
  const surface = entry.surface
    ? Object.fromEntries(
        Object.entries(entry.surface).map(([kind, defs]) => [
          kind,
          Object.entries(defs ?? {}).map(([key, d]) => ({ key, hash: d.hash })),
        ]),
      )
    : undefined;
  return { pinned: true, ...(entry.artifact ? { artifact: entry.artifact } : {}), ...(surface ? { surface } : {}) };
}

function nameParam(name: string): string {
  return name.replace(/^runtime\./, '');
}

async function detail(ctx: ConsoleContext, name: string): Promise<Record<string, unknown>> {
  const { live, backends } = await liveStatus(ctx);
  const row = summaries(ctx, live).find((s) => s.name === name);
  if (!row) throw notFound(ctx, name, live);
  const config = ctx.config;
  const address = `runtime.${name}`;
  const desired = live.desired.find((d) => d.address === address);
  const record = ctx.store.getRuntime(config.stack, address);
  const spec = desired?.spec ?? record?.spec;
  const out: Record<string, unknown> = view(row);
  if (spec) {
    out.catalog = spec.catalog;
    out.transport = spec.transport.type;
  }
  const profileName = profileOf(config, name);
  if (profileName) out.profile = profileName;
  const profile = profileName ? config.profiles[profileName] : undefined;
  const type = config.backends[row.backend]?.type;
  if (spec)
    out.guardrails = {
      applied: spec.guardrails,
      controls: profile && type ? profileCheck(profile, type).controls.filter((c) => c.set) : [],
    };
  const observed = live.observed.find((o) => o.address === address);
  const backend = backends[row.backend];
  if (observed && backend?.usage) {
    const usage = await backend.usage(observed).catch(() => undefined);
    if (usage) out.usage = usage;
  }
  const run = ctx.store.listRuns(config.stack, 1)[0];
  if (record?.appliedAt || run)
    out.lastApply = {
      ...(record?.appliedAt ? { at: record.appliedAt } : {}),
      ...(run?.outcome ? { outcome: run.outcome, kind: run.kind } : {}),
    };
  const lock = lockEntry(config, name);
  if (lock) out.lock = lock;
  out.events = ctx.store.listEvents(config.stack, { address, limit: 50 }).map(eventView);
  return out;
}

function notFound(ctx: ConsoleContext, name: string, live?: LiveStatus): ApiError {
  const known = live ? live.rows.map((r) => r.runtime) : ctx.config.runtimes.map((r) => r.name);
  return new ApiError(
    404,
    'runtime.not-found',
    `Stack ${ctx.config.stack} has no runtime ${name}.`,
    `Known runtimes: ${known.join(', ') || '(none)'}.`,
  );
}

async function logs(ctx: ConsoleContext, name: string, query: URLSearchParams): Promise<ApiReply> {
  const config = ctx.config;
  const address = `runtime.${name}`;
  const backendName =
    config.runtimes.find((r) => r.name === name)?.backend ?? ctx.store.getRuntime(config.stack, address)?.backend;
  if (!backendName) throw notFound(ctx, name);
  const backend = (await ctx.backends()).value[backendName];
  if (!backend?.logs || !backend.describe().capabilities.supports_logs)
    throw new ApiError(
      409,
      'logs.unsupported',
      `Backend ${backendName} does not keep logs contextforge can read.`,
      "Read them with the platform's own tools.",
    );
  const seen = await backend.observe(config.stack);
  const observed = seen.value?.find((o) => o.address === address);
  if (!observed || observed.status === 'missing')
    throw new ApiError(
      409,
      'logs.not-running',
      `Runtime ${name} has no live resource on backend ${backendName}.`,
      'Apply the config to create it.',
    );
  const tail = intParam(query, 'tail', 0, 100_000);
  const since = intParam(query, 'since', 0, 1e11);
  const filter = query.get('filter')?.toLowerCase() ?? '';
  const keep = (l: string): boolean => !filter || l.toLowerCase().includes(filter);
  const redact = ctx.redact;
  const b = backend.logs.bind(backend);
  if (query.get('follow') === '1' || query.get('follow') === 'true') {
    return {
      sse: async (stream) => {
        for await (const line of b(observed, { follow: true, tail: tail ?? 100, since, signal: stream.signal })) {
          const clean = redact(line.replace(/\n$/, ''));
          if (keep(clean)) stream.send('log', { line: clean });
        }
      },
    };
  }
  const lines: string[] = [];
  for await (const line of b(observed, { tail: tail ?? 200, since })) {
    const clean = redact(line.replace(/\n$/, ''));
    if (keep(clean)) lines.push(clean);
  }
  return { body: { runtime: name, lines } };
}

function intParam(q: URLSearchParams, key: string, min: number, max: number): number | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ApiError(
      400,
      'request.bad-parameter',
      `Query parameter ${key} must be a whole number from ${min} to ${max}.`,
    );
  return n;
}

export const runtimeRoutes: Route[] = [
  {
    method: 'GET',
    path: '/runtimes',
    operationId: 'listRuntimes',
    summary: 'Every runtime of the stack: live status, health, endpoint, guardrail warnings, gateway session.',
    tag: 'runtimes',
    role: 'viewer',
    response: 'RuntimeList',
    async handle({ ctx }) {
      const { live } = await liveStatus(ctx);
      const list = summaries(ctx, live).map(view);
      return {
        body: {
          stack: ctx.config.stack,
          runtimes: list,
          ...(problems(live).length ? { problems: problems(live) } : {}),
        },
      };
    },
  },
  {
    method: 'GET',
    path: '/runtimes/{name}',
    operationId: 'getRuntime',
    summary: 'One runtime: status, guardrails asked and enforced, usage, last apply, lock entry, recent events.',
    tag: 'runtimes',
    role: 'viewer',
    response: 'RuntimeDetail',
    async handle({ ctx, params }) {
      return { body: await detail(ctx, nameParam(params.name)) };
    },
  },
  {
    method: 'GET',
    path: '/runtimes/{name}/logs',
    operationId: 'getRuntimeLogs',
    summary: 'Log lines of a runtime; with follow=1 an SSE stream of `log` events.',
    tag: 'runtimes',
    role: 'viewer',
    query: [
      {
        name: 'tail',
        description: 'Only the last N lines (default 200; 100 when following).',
        schema: { type: 'integer', minimum: 0 },
      },
      {
        name: 'since',
        description: 'Only lines since this Unix time (seconds), where the backend timestamps lines.',
        schema: { type: 'integer', minimum: 0 },
      },
      {
        name: 'filter',
        description: 'Only lines containing this text (case-insensitive).',
        schema: { type: 'string' },
      },
      {
        name: 'follow',
        description: '1 to follow as Server-Sent Events.',
        schema: { enum: ['0', '1', 'true', 'false'] },
      },
    ],
    response: 'LogLines',
    sseWhen: 'follow',
    async handle({ ctx, params, query }) {
      return logs(ctx, nameParam(params.name), query);
    },
  },
];
