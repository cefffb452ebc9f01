// The live status of a stack's runtimes: a live observe (plus the per-resource details a
// backend offers through inspect) joined with state and the compiled config. Shared by the
// `status` verb and the operator console; read-only, it takes no lock and changes nothing.

import { connect } from 'node:net';
import { compileDesired } from '../plan/desired.js';
import { resolveSources } from '../sources/resolve-desired.js';
import type { LoadedConfig } from '../config/index.js';
import type { Diagnostic } from '../diag/diagnostic.js';
import type { Backend } from '../backends/backend.js';
import type { DesiredResource, ObservedResource } from '../model/resources.js';
import type { RuntimeRecord, StateStore } from '../state/store.js';
import { observeAll } from '../plan/stack.js';

export interface RuntimeStatus {
  address: string;
  runtime: string;
  backend: string;
  configured: boolean;
  state: string;
  health?: string;
  endpoint?: string;
  uptimeSeconds?: number;
  restarts?: number;
  specHash?: string;
  inSync: boolean;
  warnings: string[];
  appliedAt?: string;
}

export function joinStatus(input: {
  observed: ObservedResource[];
  records: RuntimeRecord[];
  desired: { address: string; runtime: string; backend: string; specHash: string; warnings: string[] }[];
  now: number;
}): RuntimeStatus[] {
  // Data volumes kept by a delete are not a runtime (the destroy plan names them).
  const obs = new Map(input.observed.filter((o) => !o.volumesOnly).map((o) => [o.address, o]));
  const rec = new Map(input.records.map((r) => [r.address, r]));
  const des = new Map(input.desired.map((d) => [d.address, d]));
  const addresses = [...new Set([...obs.keys(), ...rec.keys(), ...des.keys()])].sort();
  return addresses.map((address) => {
    const o = obs.get(address);
    const r = rec.get(address);
    const d = des.get(address);
    const health = typeof o?.live?.health === 'string' ? (o.live.health as string) : undefined;
    const s: RuntimeStatus = {
      address,
      runtime: o?.runtime ?? r?.runtime ?? d!.runtime,
      backend: o?.backend ?? r?.backend ?? d!.backend,
      configured: Boolean(d),
      state: o ? o.status : r ? 'missing' : 'not created',
      inSync: Boolean(o && d && o.specHash === d.specHash && (o.status === 'running' || o.status === 'starting')),
      warnings: d?.warnings ?? r?.warnings ?? [],
    };
    if (health) s.health = health;
    const endpoint = o?.endpoint ?? r?.endpoint;
    if (endpoint)
      s.endpoint =
        endpoint.url ??
        (endpoint.attach
          ? `${endpoint.attach.kind}:${'containerId' in endpoint.attach ? endpoint.attach.containerId.slice(0, 12) : endpoint.attach.socketPath}`
          : endpoint.transport);
    if (o?.startedAt && o.status === 'running')
      s.uptimeSeconds = Math.max(0, Math.round((input.now - Date.parse(o.startedAt)) / 1000));
    if (o?.restarts !== undefined) s.restarts = o.restarts;
    if (o?.specHash) s.specHash = o.specHash;
    if (r?.appliedAt) s.appliedAt = r.appliedAt;
    return s;
  });
}

export interface LiveStatus {
  rows: RuntimeStatus[];
  observed: ObservedResource[];
  /** The compiled desired set, sources resolved (secretEnv included: never render it). */
  desired: DesiredResource[];
  /** Observe problems; rows are empty when one is an error. */
  diags: Diagnostic[];
}

export async function collectStatus(input: {
  config: LoadedConfig;
  backends: Record<string, Backend>;
  store: StateStore;
  /** Skip the per-resource details of inspect (one call per resource). */
  inspect?: boolean;
  /** Try a connection to each running runtime's HTTP endpoint (unreachable ones are unhealthy). */
  probe?: boolean;
}): Promise<LiveStatus> {
  const { config, backends, store } = input;
  const caps = Object.fromEntries(Object.entries(backends).map(([n, b]) => [n, b.describe().capabilities]));
  // GitHub sources are pinned to their current commit as plan does, so that in-sync compares alike.
  const resolved = await resolveSources({
    desired: compileDesired(config, { capabilities: caps }).value ?? [],
    github: config.github,
    configDir: config.dir,
    include: (d) => caps[d.backend]?.supports_github_build === true,
    seccomp: (d) => caps[d.backend]?.supports_seccomp === true,
  });
  const seen = await observeAll(config.stack, backends, resolved.desired);
  if (seen.diags.some((d) => d.severity === 'error'))
    return { rows: [], observed: [], desired: resolved.desired, diags: seen.diags };
  // Backends whose status details need more calls (Code Engine instances) add them here only.
  if (input.inspect !== false) {
    for (const [name, b] of Object.entries(backends)) {
      if (!b.inspect) continue;
      const mine = seen.observed.filter((o) => o.backend === name);
      const detailed = await b.inspect(mine).catch(() => mine);
      seen.observed = [...seen.observed.filter((o) => o.backend !== name), ...detailed];
    }
  }
  const desired = resolved.desired.map((d) => ({
    address: d.address,
    runtime: d.runtime,
    backend: d.backend,
    specHash: d.specHash,
    warnings: guardrailWarnings(d),
  }));
  const rows = joinStatus({
    observed: seen.observed,
    records: store.listRuntimes(config.stack),
    desired,
    now: Date.now(),
  });
  // Only endpoints this host serves (Docker, local processes) are tried: a Code Engine app is a
  // public service whose readiness the backend reports, and status must not reach out to it.
  if (input.probe)
    await probeEndpoints(rows.filter((r) => ['docker', 'process'].includes(config.backends[r.backend]?.type ?? '')));
  return { rows, observed: seen.observed, desired: resolved.desired, diags: seen.diags };
}

/** The guardrail warnings compilation attached to a runtime, as one-line summaries. */
export function guardrailWarnings(d: DesiredResource): string[] {
  return d.diagnostics.filter((x) => x.code.startsWith('guardrail.')).map((x) => x.summary);
}

/** Longest a status waits for one endpoint to accept a connection. */
const PROBE_MS = 2_000;

/** 'ok', or why a TCP connection to the URL's host and port failed. */
function connectTo(url: string): Promise<string> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.resolve('ok');
  }
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (why: string): void => {
      socket.destroy();
      resolve(why);
    };
    socket.setTimeout(PROBE_MS, () => done('no answer'));
    socket.once('connect', () => done('ok'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

/**
 * A runtime that runs as configured but whose endpoint refuses connections serves nobody: it is
 * reported unhealthy and not in sync, whatever the container says (a sidecar cut off from its
 * network, a port published to nothing). One connection attempt per HTTP endpoint, in parallel.
 */
export async function probeEndpoints(rows: RuntimeStatus[]): Promise<void> {
  await Promise.all(
    rows
      .filter((r) => r.state === 'running' && r.endpoint && /^https?:\/\//.test(r.endpoint))
      .map(async (r) => {
        const why = await connectTo(r.endpoint!);
        if (why === 'ok') return;
        r.health = `unreachable (${why})`;
        r.inSync = false;
      }),
  );
}
