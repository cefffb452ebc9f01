// Remote sources: an MCP server someone else hosts. Nothing is started; applying one records it
// (a small status file per runtime under .contextforge/remote/<stack>/, the ownership mark that
// observe reads back, like the process backend's) and reports its URL as the endpoint the
// gateway connects to. Every backend kind gets this by the wrapper below, so a remote runtime
// may name any backend; the wrapped backend never sees remote runtimes. No secret is written:
// header values stay templates ({NAME}) that the gateway fills from the config.

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Result } from '../diag/diagnostic.js';
import { defaultResourcePlan } from '../model/resource-plan.js';
import type { Change, DesiredResource, ObservedResource } from '../model/resources.js';
import type { ApplyContext, ApplyOutcome, Backend } from './backend.js';

interface RemoteStatus {
  version: 1;
  address: string;
  runtime: string;
  backend: string;
  stack: string;
  specHash: string;
  live: Record<string, unknown>;
  url: string;
  transport: 'streamable-http' | 'sse';
  appliedAt: string;
}

const isRemote = (d: DesiredResource | undefined): boolean => d?.spec.source.type === 'remote';
const wasRemote = (o: ObservedResource | undefined): boolean =>
  (o?.live.source as { type?: string } | undefined)?.type === 'remote';

function statusDir(configDir: string, stack: string): string {
  return join(configDir, '.contextforge', 'remote', stack);
}

function toObserved(st: RemoteStatus): ObservedResource {
  return {
    address: st.address,
    runtime: st.runtime,
    backend: st.backend,
    specHash: st.specHash,
    live: { ...st.live },
    status: 'running',
    startedAt: st.appliedAt,
    endpoint: { transport: st.transport, url: st.url },
    native: { remote: true },
  };
}

function readStatuses(configDir: string, stack: string, backend: string): ObservedResource[] {
  const dir = statusDir(configDir, stack);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: ObservedResource[] = [];
  for (const n of names.filter((x) => x.endsWith('.json')).sort()) {
    try {
      const st = JSON.parse(readFileSync(join(dir, n), 'utf8')) as RemoteStatus;
      if (st.version === 1 && st.stack === stack && st.backend === backend) out.push(toObserved(st));
    } catch {
      // A half-written or foreign file is not ours to report.
    }
  }
  return out;
}

function record(configDir: string, stack: string, d: DesiredResource): ObservedResource {
  const src = d.spec.source;
  if (src.type !== 'remote') throw new Error(`${d.address} is not a remote source`);
  const st: RemoteStatus = {
    version: 1,
    address: d.address,
    runtime: d.runtime,
    backend: d.backend,
    stack,
    specHash: d.specHash,
    // The normalized spec holds secret digests and header templates only.
    live: JSON.parse(JSON.stringify(d.spec)) as Record<string, unknown>,
    url: src.url,
    transport: d.spec.transport.type === 'sse' ? 'sse' : 'streamable-http',
    appliedAt: new Date().toISOString(),
  };
  const dir = statusDir(configDir, stack);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${d.runtime}.json`);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(st, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  return toObserved(st);
}

function applyRemote(configDir: string, change: Change, ctx: ApplyContext): ApplyOutcome {
  if (change.action === 'noop') return { status: 'unchanged', observed: change.observed, diags: [] };
  if (change.action === 'delete' || !change.desired) {
    const runtime = change.observed?.runtime ?? change.address.replace(/^runtime\./, '');
    rmSync(join(statusDir(configDir, ctx.stack), `${runtime}.json`), { force: true });
    return { status: 'deleted', diags: [] };
  }
  const src = change.desired.spec.source;
  ctx.progress(`recording the hosted server ${src.type === 'remote' ? src.url : ''} (nothing to start)`);
  const observed = record(configDir, ctx.stack, change.desired);
  return { status: change.action === 'create' ? 'created' : 'updated', observed, diags: [] };
}

/** The backend, with remote runtimes handled here and everything else passed through. */
export function withRemoteSources(inner: Backend, options: { name: string; configDir: string }): Backend {
  const { name, configDir } = options;
  return {
    ...inner,
    describe: () => inner.describe(),
    validate: (desired) => inner.validate(desired.filter((d) => !isRemote(d))),
    async observe(stack, desired): Promise<Result<ObservedResource[]>> {
      const r = await inner.observe(
        stack,
        desired?.filter((d) => !isRemote(d)),
      );
      if (!r.value) return r;
      return { value: [...r.value, ...readStatuses(configDir, stack, name)], diags: r.diags };
    },
    plan(desired, observed): Change {
      if (!isRemote(desired) && !(desired === undefined && wasRemote(observed))) {
        // A runtime that moved from a remote source to a started one: planned as a creation
        // (apply drops the record first).
        if (wasRemote(observed)) return { ...inner.plan(desired, undefined), observed };
        return inner.plan(desired, observed);
      }
      // A runtime that moved from a started source to a remote one replaces what ran.
      const change = defaultResourcePlan(desired, observed, { scope: 'all' });
      return { ...change, backendType: desired?.backendType ?? change.backendType };
    },
    async apply(change, ctx): Promise<ApplyOutcome> {
      const remoteNow = isRemote(change.desired);
      if (remoteNow || (!change.desired && wasRemote(change.observed))) {
        // What the backend ran under this name before (the entry was a package or an image) goes first.
        if (remoteNow && change.observed && !wasRemote(change.observed)) {
          const gone = await inner.apply({ ...change, action: 'delete', desired: undefined, fields: [] }, ctx);
          if (gone.status === 'failed') return gone;
        }
        return applyRemote(configDir, change, ctx);
      }
      if (wasRemote(change.observed)) {
        // The entry became one the backend runs: the record goes, the server is created.
        applyRemote(configDir, { ...change, action: 'delete', desired: undefined }, ctx);
        return inner.apply({ ...change, action: 'create', observed: undefined }, ctx);
      }
      return inner.apply(change, ctx);
    },
  };
}
