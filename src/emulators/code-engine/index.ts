// Public entry of the local IBM Cloud Code Engine emulator: `startCodeEngineEmulator()` starts
// the HTTP server (IAM + `/v2` + admin) on loopback, optionally running apps on local Docker.
// Closing it stops the server and removes every container and image it created.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_FAULTS,
  emptyStats,
  mergeFaults,
  seededRandom,
  type EmulatorFaults,
  type EmulatorStats,
} from './faults.js';
import { FakeIam } from './iam.js';
import type { AppRuntime, RenderContext } from './render.js';
import { createHandler } from './server.js';
import { EmuState, type EmulatorBehaviour, type Timing } from './state.js';

export type { EmulatorFaults, EmulatorStats } from './faults.js';
export type { EmulatorBehaviour } from './state.js';

export interface EmulatorProjectSeed {
  name: string;
  /** Lowercase UUID; random when absent. */
  id?: string;
  /** The project's DNS subdomain; random 11 characters when absent. */
  subdomain?: string;
  /** Whether apps may use `local_private` (default true); false answers 400, as a project without private visibility does. */
  privateVisibility?: boolean;
}

export interface CodeEngineEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. Binding elsewhere exposes an unauthenticated admin API: don't. */
  host?: string;
  /** Region reported in objects, CRNs and injected env (default `us-south`). */
  region?: string;
  /** Accepted IAM API keys; default: any non-empty key. */
  apiKeys?: string[];
  tokenTtlSeconds?: number;
  /** Projects that exist from the start (default one project named `default`), all `active`. */
  projects?: EmulatorProjectSeed[];
  /** Run app images and builds on the local Docker engine. */
  docker?: boolean | { socketPath?: string; removeBuiltImages?: boolean };
  timing?: Partial<Timing>;
  /** Revisions kept per app before older ones are garbage-collected (default 5). */
  revisionRetention?: number;
  /**
   * `realistic` (default): the behaviours of IBM's service that the client must survive (secret
   * lists without `data`, asynchronous deletes, revisions created after the write answers, probe
   * defaults filled in on read, 409 for a stale entity tag). `strict-client`: the original mode.
   */
  behaviour?: EmulatorBehaviour;
  faults?: Partial<EmulatorFaults>;
  /** Seed of the fault dice (default random). */
  seed?: number;
  /** Diagnostics of the emulator itself (default: stderr). */
  log?: (line: string) => void;
}

export interface CodeEngineEmulator {
  /** The API base, `http://127.0.0.1:<port>/v2`: pass as the client's serviceUrl. */
  url: string;
  /** The IAM base, `http://127.0.0.1:<port>`: pass as the client's iamUrl. */
  iamUrl: string;
  baseUrl: string;
  emulatorId: string;
  region: string;
  docker: boolean;
  behaviour: EmulatorBehaviour;
  projects: Array<{ id: string; name: string; subdomain: string }>;
  /** Live fault switches: assignments take effect on the next request. */
  faults: EmulatorFaults;
  /** Validated partial update of the fault switches. */
  setFaults(patch: Partial<EmulatorFaults>): void;
  /** Live request statistics. */
  stats: EmulatorStats;
  resetStats(): void;
  /** Forget all issued tokens (clients will get 401 and must fetch new ones). */
  revokeTokens(): void;
  close(): Promise<void>;
}

export async function startCodeEngineEmulator(opts: CodeEngineEmulatorOptions = {}): Promise<CodeEngineEmulator> {
  const region = opts.region ?? 'us-south';
  const behaviour: EmulatorBehaviour = opts.behaviour ?? 'realistic';
  const host = opts.host ?? '127.0.0.1';
  const emulatorId = randomBytes(6).toString('hex');
  const log = opts.log ?? ((line: string) => process.stderr.write(`[code-engine-emulator] ${line}\n`));
  const state = new EmuState({
    appReadyDelayMs: 1500,
    projectReadyDelayMs: 500,
    buildRunPendingMs: 200,
    buildRunDurationMs: 1000,
    deleteDelayMs: 2000,
    revisionLagMs: 300,
    ...opts.timing,
  });
  for (const seed of opts.projects ?? [{ name: 'default' }]) {
    state.addProject({ ...seed, active: true, region });
  }
  const faults: EmulatorFaults = mergeFaults({ ...DEFAULT_FAULTS }, opts.faults ?? {});
  const stats = emptyStats();
  const iam = new FakeIam({ apiKeys: opts.apiKeys, tokenTtlSeconds: opts.tokenTtlSeconds });
  const render: RenderContext = { baseUrl: '', region, realistic: behaviour === 'realistic' };

  let runtime: AppRuntime | undefined;
  if (opts.docker) {
    const { DockerRuntime } = await import('./docker-runtime.js');
    const d = typeof opts.docker === 'object' ? opts.docker : {};
    const dr = new DockerRuntime({
      emulatorId,
      socketPath: d.socketPath,
      removeBuiltImages: d.removeBuiltImages,
      state,
      region,
      log,
    });
    await dr.ping();
    runtime = dr;
    render.runtime = dr;
  }

  const server = createServer(
    createHandler({
      state,
      iam,
      render,
      options: { revisionRetention: opts.revisionRetention ?? 5, behaviour },
      random: seededRandom(opts.seed ?? Math.floor(Math.random() * 2 ** 32)),
      faults,
      stats,
      info: () => ({
        emulatorId,
        url: `${render.baseUrl}/v2`,
        iamUrl: render.baseUrl,
        region,
        docker: !!runtime,
        behaviour,
        projects: projectList(),
      }),
      log,
    }),
  );
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const hostForUrl = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  render.baseUrl = `http://${hostForUrl}:${addr.port}`;

  function projectList(): Array<{ id: string; name: string; subdomain: string }> {
    return [...state.projects.values()].map((p) => ({ id: p.id, name: p.name, subdomain: p.subdomain }));
  }

  let closed: Promise<void> | undefined;
  return {
    url: `${render.baseUrl}/v2`,
    iamUrl: render.baseUrl,
    baseUrl: render.baseUrl,
    emulatorId,
    region,
    docker: !!runtime,
    behaviour,
    get projects() {
      return projectList();
    },
    faults,
    setFaults: (patch) => Object.assign(faults, mergeFaults(faults, patch)),
    stats,
    resetStats: () => Object.assign(stats, emptyStats()),
    revokeTokens: () => iam.revokeAll(),
    close: () => {
      closed ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await runtime?.close();
      })();
      return closed;
    },
  };
}
