// Turns what the state store says is running into the gateway's upstream specs: HTTP endpoints
// by URL, Docker stdio runtimes through docker exec (a server process per gateway session), process runtimes through their
// supervisor's socket. Per-runtime call timeouts and concurrency come from the config.
// It starts and stops nothing; it only describes how to reach what apply recorded.

import type Dockerode from 'dockerode';
import { type LoadedConfig, parseDuration } from '../config/index.js';
import { decideEndpoint, howToAllow } from '../config/endpoint-policy.js';
import type { Backend as BackendConfig } from '../generated/config.js';
import { dockerExecConnector, type UpstreamLock, type UpstreamSpec } from '../gateway/index.js';
import type { LockFile } from '../lock/file.js';
import { SURFACE_KINDS } from '../model/tool-surface.js';
import { hashOf } from '../model/canonical.js';
import { isRuntimeAddress } from '../model/resources.js';
import type { RuntimeRecord } from '../state/store.js';
import { processSocketConnector } from './process-connector.js';

/** Code Engine scales to zero: the first call may wait for a cold start. */
export const CODE_ENGINE_MIN_TIMEOUT_MS = 30_000;
/** The gateway's own default per-call timeout. */
export const DEFAULT_CALL_TIMEOUT_MS = 60_000;

export interface UpstreamContext {
  /** The current config, for timeouts and concurrency; records of runtimes not in it use defaults. */
  config?: LoadedConfig;
  /** A Docker client for a docker backend name (stdio attach); undefined when not available. */
  docker?: (backend: string) => Dockerode | undefined;
  /** contextforge.lock as last read, and gateway.tool_lock (default enforce). */
  lock?: LockFile;
}

/** The gateway's view of a runtime's lock entry; undefined when nothing is enforced for it. */
export function upstreamLock(runtime: string, ctx: UpstreamContext): UpstreamLock | undefined {
  const mode = ctx.config?.gateway.tool_lock ?? 'enforce';
  const surface = ctx.lock?.runtimes[runtime]?.surface;
  if (mode === 'off' || !surface) return undefined;
  const hashes = Object.fromEntries(
    SURFACE_KINDS.map((k) => [k, Object.fromEntries(Object.entries(surface[k]).map(([key, e]) => [key, e.hash]))]),
  ) as UpstreamLock['hashes'];
  return { mode, hashes };
}

export interface SkippedRuntime {
  runtime: string;
  why: string;
}

export interface UpstreamSet {
  upstreams: UpstreamSpec[];
  skipped: SkippedRuntime[];
}

const NOT_SERVED = new Set(['deleted', 'missing']);

function ms(v: number | string | undefined): number | undefined {
  const s = parseDuration(v);
  return s === undefined ? undefined : Math.round(s * 1000);
}

/** The per-call timeout of one runtime (runtime > gateway > default; Code Engine at least 30 s). */
export function callTimeoutFor(record: Pick<RuntimeRecord, 'runtime' | 'backendType'>, config?: LoadedConfig): number {
  const own = ms(config?.runtimes.find((r) => r.name === record.runtime)?.call_timeout);
  if (own !== undefined) return own;
  const inherited = ms(config?.gateway.call_timeout) ?? DEFAULT_CALL_TIMEOUT_MS;
  return record.backendType === 'ibm_code_engine' ? Math.max(CODE_ENGINE_MIN_TIMEOUT_MS, inherited) : inherited;
}

export function upstreamsFromRecords(records: readonly RuntimeRecord[], ctx: UpstreamContext = {}): UpstreamSet {
  const upstreams: UpstreamSpec[] = [];
  const skipped: SkippedRuntime[] = [];
  // Only runtimes are served: the gateway deployed to Code Engine (gateway.deploy) is a peer, not an upstream.
  const runtimes = records.filter((r) => isRuntimeAddress(r.address));
  for (const r of runtimes.sort((a, b) => a.runtime.localeCompare(b.runtime))) {
    const e = r.endpoint;
    if (NOT_SERVED.has(r.status)) {
      skipped.push({ runtime: r.runtime, why: `it is ${r.status}` });
      continue;
    }
    if (!e) {
      skipped.push({ runtime: r.runtime, why: 'apply recorded no endpoint for it' });
      continue;
    }
    const rt = ctx.config?.runtimes.find((x) => x.name === r.runtime);
    const callTimeoutMs = callTimeoutFor(r, ctx.config);
    const maxConcurrency = rt?.max_concurrency ?? ctx.config?.gateway.max_concurrency;
    // Code Engine apps scale to zero when idle; a liveness ping would keep one instance warm.
    const noPing = r.backendType === 'ibm_code_engine' ? { pingIntervalMs: 0 } : {};
    const base = { name: r.runtime, callTimeoutMs, ...(maxConcurrency ? { maxConcurrency } : {}), ...noPing };
    const lock = upstreamLock(r.runtime, ctx);
    if (lock) Object.assign(base, { lock });
    const specHash = hashOf({
      spec: r.specHash,
      endpoint: e,
      callTimeoutMs,
      maxConcurrency: maxConcurrency ?? null,
    });
    if (e.transport === 'streamable-http' || e.transport === 'sse') {
      if (!e.url) {
        skipped.push({ runtime: r.runtime, why: `its ${e.transport} endpoint has no URL` });
        continue;
      }
      const headers = remoteHeaders(r, ctx.config);
      if ('missing' in headers) {
        skipped.push({ runtime: r.runtime, why: headers.missing });
        continue;
      }
      const withHeaders = Object.keys(headers.value).length ? { headers: headers.value } : {};
      // The headers carry the runtime's secrets: only to a host the operator allows (a registry
      // import or an edited config can name any URL; validation says so first for the config).
      const policy = withHeaders.headers ? decideEndpoint('remote.url', e.url) : undefined;
      if (policy && !policy.allowed) {
        skipped.push({
          runtime: r.runtime,
          why: `its headers are not sent to ${policy.host}: ${policy.why}. ${howToAllow(policy.host)}`,
        });
        continue;
      }
      // The header values move the hash too (a rotated token reconnects), as a digest only.
      const hash = withHeaders.headers ? hashOf({ specHash, headers: hashOf(withHeaders.headers) }) : specHash;
      upstreams.push({ ...base, transport: e.transport, url: e.url, ...withHeaders, specHash: hash });
      continue;
    }
    const a = e.attach;
    if (a?.kind === 'process') {
      const stdio = processSocketConnector(a.socketPath, { direct: a.direct, spare: true });
      upstreams.push({ ...base, transport: 'stdio', stdio, specHash });
    } else if (a?.kind === 'docker') {
      const docker = ctx.docker?.(r.backend);
      if (!docker) {
        skipped.push({ runtime: r.runtime, why: `no Docker client for backend ${r.backend}` });
        continue;
      }
      upstreams.push({
        ...base,
        transport: 'stdio',
        stdio: dockerExecConnector({ docker, containerId: a.containerId, spare: true }),
        specHash,
      });
    } else {
      skipped.push({ runtime: r.runtime, why: 'its stdio endpoint names nothing to attach to' });
    }
  }
  return { upstreams, skipped };
}

/**
 * The request headers of a remote source, its `{NAME}` templates filled from the current config:
 * the runtime's secrets, then its env, then the entry's env default. The values never reach the
 * state store (it holds the templates); a name without a value keeps the runtime unserved.
 */
export function remoteHeaders(
  r: Pick<RuntimeRecord, 'runtime' | 'spec'>,
  config?: LoadedConfig,
): { value: Record<string, string> } | { missing: string } {
  // Records written by older versions (or a backend's own spec shape) may carry no source.
  const src = (r.spec as Partial<RuntimeRecord['spec']> | undefined)?.source;
  if (src?.type !== 'remote' || !src.headers || Object.keys(src.headers).length === 0) return { value: {} };
  const rt = config?.runtimes.find((x) => x.name === r.runtime);
  const entry = rt ? config?.catalog[rt.catalog] : undefined;
  const valueOf = (name: string): string | undefined => {
    const v = rt?.secrets?.[name] ?? rt?.env?.[name] ?? entry?.env?.[name]?.default;
    return v === undefined ? undefined : String(v);
  };
  const out: Record<string, string> = {};
  for (const [header, template] of Object.entries(src.headers)) {
    let missing: string | undefined;
    out[header] = template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = valueOf(name);
      if (v === undefined) missing ??= name;
      return v ?? '';
    });
    if (missing) return { missing: `its header ${header} needs ${missing}, which the runtime does not set` };
  }
  return { value: out };
}

/** Docker clients per docker backend of the config, created on first use (dockerode loads lazily). */
export async function dockerClients(config: LoadedConfig): Promise<(backend: string) => Dockerode | undefined> {
  const dockerBackends = Object.entries(config.backends).filter(([, b]) => b.type === 'docker');
  if (dockerBackends.length === 0) return () => undefined;
  const { default: DockerodeCtor } = await import('dockerode');
  const made = new Map<string, Dockerode>();
  return (name) => {
    const b = config.backends[name] as BackendConfig | undefined;
    if (!b || b.type !== 'docker') return undefined;
    let d = made.get(name);
    if (!d) {
      if (b.host) {
        const u = new URL(b.host);
        const protocol = u.protocol === 'https:' ? 'https' : 'http';
        d = new DockerodeCtor({
          host: u.hostname,
          port: Number(u.port || (protocol === 'https' ? 2376 : 2375)),
          protocol,
        });
      } else {
        d = new DockerodeCtor(b.socket ? { socketPath: b.socket } : undefined);
      }
      made.set(name, d);
    }
    return d;
  };
}
