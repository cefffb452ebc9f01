// Builds a fresh contextforge.lock for a config: resolves every runtime's artifact pin and reads
// its tool surface from the server that runs the configured spec (through the endpoint apply
// recorded, as the gateway reaches it), or from a sandbox run of the new artifact when the
// running one is older. What cannot be read keeps its previous entry when the artifact is
// unchanged, and is written without a surface (and named in a note) otherwise.

import { isRuntimeAddress } from '../model/resources.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { resolveArtifacts } from '../backends/artifacts.js';
import { listSurface } from '../backends/surface-client.js';
import type { LoadedConfig } from '../config/index.js';
import type { UpstreamSpec } from '../gateway/index.js';
import { catalogPinsOf } from '../lock/catalog.js';
import { lockPathFor, readLock, writeLock, type LockEntry, type LockFile } from '../lock/file.js';
import type { DesiredResource } from '../model/resources.js';
import { sameArtifact, type Surface } from '../model/tool-surface.js';
import type { StateStore } from '../state/store.js';
import { dockerClients, upstreamsFromRecords } from './upstreams.js';

/** Reads a surface by running the desired artifact in a sandbox (see backends/sandbox.ts). */
export type SandboxDiscover = (d: DesiredResource) => Promise<{ surface?: Surface; note?: string }>;

export interface RefreshInput {
  config: LoadedConfig;
  store: StateStore;
  desired: readonly DesiredResource[];
  previous?: LockFile;
  /** Discovery for runtimes that do not run the configured spec; omitted: they keep old entries. */
  discover?: SandboxDiscover;
  /**
   * After an apply: a runtime that does not run its configured spec (held, failed) keeps its
   * previous entry whole, so the lock never claims what is not running.
   */
  keepUnapplied?: boolean;
  /**
   * Runtimes whose running server is the configured one (the plan's noops); others are read by
   * discover. Omitted: every runtime the state records with the configured spec hash.
   */
  live?: ReadonlySet<string>;
  /** Per-server time for connect + lists; default 30 s. */
  timeoutMs?: number;
}

export interface RefreshResult {
  lock: LockFile;
  /** One line per runtime whose surface could not be read. */
  notes: string[];
}

/** An SDK transport to an upstream as the gateway would open it. */
export async function transportFor(spec: UpstreamSpec): Promise<Transport> {
  if (spec.transport === 'stdio') return spec.stdio!.connect();
  const requestInit = spec.headers ? { headers: spec.headers } : undefined;
  return spec.transport === 'sse'
    ? new SSEClientTransport(new URL(spec.url!), { requestInit })
    : new StreamableHTTPClientTransport(new URL(spec.url!), { requestInit });
}

/** The surface of each runtime the state records as running the configured spec. */
export async function liveSurfaces(
  input: Pick<RefreshInput, 'config' | 'store' | 'desired' | 'timeoutMs' | 'live'>,
): Promise<{ surfaces: Map<string, Surface>; failures: Map<string, string> }> {
  const want = new Map(input.desired.filter((d) => isRuntimeAddress(d.address)).map((d) => [d.runtime, d.specHash]));
  const records = input.store
    .listRuntimes(input.config.stack)
    .filter((r) => want.get(r.runtime) === r.specHash && r.status !== 'deleted' && r.status !== 'missing')
    .filter((r) => !input.live || input.live.has(r.runtime));
  const set = upstreamsFromRecords(records, { config: input.config, docker: await dockerClients(input.config) });
  const surfaces = new Map<string, Surface>();
  const failures = new Map<string, string>();
  await Promise.all(
    set.upstreams.map(async (spec) => {
      try {
        surfaces.set(spec.name, await listSurface(await transportFor(spec), input.timeoutMs ?? 30_000));
      } catch (e) {
        failures.set(spec.name, (e as Error).message);
      } finally {
        await spec.stdio?.close?.().catch(() => undefined);
      }
    }),
  );
  return { surfaces, failures };
}

export async function refreshLock(all: RefreshInput): Promise<RefreshResult> {
  // Runtimes only: the gateway deployed to Code Engine (gateway.deploy) has no surface to pin.
  const input = { ...all, desired: all.desired.filter((d) => isRuntimeAddress(d.address)) };
  const pins = await resolveArtifacts(input.desired, { backends: input.config.backends });
  const live = await liveSurfaces(input);
  const notes: string[] = [];
  const runtimes: Record<string, LockEntry> = {};
  for (const d of [...input.desired].sort((a, b) => a.runtime.localeCompare(b.runtime))) {
    const artifact = pins[d.runtime];
    const before = input.previous?.runtimes[d.runtime];
    let surface = live.surfaces.get(d.runtime);
    if (!surface && !live.failures.has(d.runtime) && input.keepUnapplied) {
      if (before) runtimes[d.runtime] = before;
      continue;
    }
    let why = live.failures.get(d.runtime);
    if (!surface && input.discover) {
      const found = await input.discover(d);
      surface = found.surface;
      why = found.note ?? why;
    }
    if (!surface && before?.surface && sameArtifact(before.artifact, artifact)) surface = before.surface;
    if (!surface)
      notes.push(
        `${d.runtime}: its tool surface was not read${why ? ` (${why})` : ' (it does not run the configured spec)'}; the gateway will not enforce a lock for it`,
      );
    runtimes[d.runtime] = { artifact, ...(surface ? { surface } : {}) };
  }
  const catalog = catalogPinsOf(input.config);
  return {
    lock: { stack: input.config.stack, runtimes, ...(Object.keys(catalog).length ? { catalog } : {}) },
    notes,
  };
}

/** Refreshes and writes the lock after an apply; returns the lines to print. */
export async function writeLockAfterApply(input: Omit<RefreshInput, 'previous' | 'keepUnapplied'>): Promise<string[]> {
  const path = lockPathFor(input.config.path);
  const previous = readLock(path);
  const r = await refreshLock({ ...input, previous: previous.value, keepUnapplied: true });
  const changed = writeLock(path, r.lock);
  return [
    ...r.notes.map((n) => `warning: ${n}`),
    ...(changed ? [`Updated ${path}: review and commit it with the config.`] : []),
  ];
}

/** Runtimes that run their configured spec after an apply: not held, failed or skipped. */
export function appliedRuntimes(
  desired: readonly DesiredResource[],
  results: readonly { address: string; status: string }[],
): Set<string> {
  const done = new Set(['created', 'updated', 'deleted', 'unchanged']);
  const notApplied = new Set(results.filter((x) => !done.has(x.status)).map((x) => x.address));
  return new Set(desired.filter((d) => !notApplied.has(d.address)).map((d) => d.runtime));
}
