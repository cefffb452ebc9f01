// Typed IBM Cloud Code Engine v2 client: projects, and per project apps (with revisions and
// instances), secrets, builds and build runs. Built for a reconciler: create/patch/delete are
// idempotency-safe, observation is O(1) paged list calls. No business rules; no logging of secrets.

import { NamedCollection, VersionedCollection, listAll, etagOf, type ListOptions } from './collection.js';
import { CodeEngineApiError } from './errors.js';
import { DEFAULT_RETRY, isAmbiguousFailure, isRetryableStatus, backoffDelayMs, sleep } from './retry.js';
import { Transport, type ApiRequest } from './transport.js';
import type {
  App,
  AppInstance,
  AppPatch,
  AppPrototype,
  AppRevision,
  Build,
  BuildPatch,
  BuildPrototype,
  BuildRun,
  BuildRunPrototype,
  CreateResult,
  Project,
  ProjectPrototype,
  Secret,
  SecretPrototype,
  SecretReplacement,
  Versioned,
} from './types.js';

export const DEFAULT_API_VERSION = '2025-07-10';
export const DEFAULT_IAM_URL = 'https://iam.cloud.ibm.com';

export interface CodeEngineClientOptions {
  apiKey: string;
  region: string;
  /** Default `https://api.<region>.codeengine.cloud.ibm.com/v2`. */
  serviceUrl?: string;
  /** Default `https://iam.cloud.ibm.com`. */
  iamUrl?: string;
  /** The `version` query parameter; default `2025-07-10`. */
  version?: string;
  /** Retries for 429/5xx/transport failures (default 5). */
  maxRetries?: number;
  /** Backoff base in ms (default 250); the delay doubles per attempt, with full jitter. */
  retryBaseMs?: number;
  /** Upper bound of one backoff delay in ms (default 30000). */
  maxRetryDelayMs?: number;
  /** Per-request timeout in ms (default 30000). */
  timeoutMs?: number;
  /** Called once per HTTP attempt (status 0: no response). For counting calls in tests/benches. */
  onRequest?: (method: string, path: string, status: number) => void;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Stops waiting (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort(): void {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class CodeEngineClient {
  readonly region: string;
  readonly serviceUrl: string;
  private readonly transport: Transport;

  constructor(opts: CodeEngineClientOptions) {
    // An empty apiKey is allowed for a plan without credentials (the backend is not observed);
    // any request then fails with a no_credentials error before anything is sent.
    if (!opts.region) throw new Error('CodeEngineClient: region is required');
    this.region = opts.region;
    this.serviceUrl = (opts.serviceUrl ?? `https://api.${opts.region}.codeengine.cloud.ibm.com/v2`).replace(/\/$/, '');
    this.transport = new Transport({
      apiKey: opts.apiKey,
      serviceUrl: this.serviceUrl,
      iamUrl: opts.iamUrl ?? DEFAULT_IAM_URL,
      version: opts.version ?? DEFAULT_API_VERSION,
      retry: {
        maxRetries: opts.maxRetries ?? DEFAULT_RETRY.maxRetries,
        baseMs: opts.retryBaseMs ?? DEFAULT_RETRY.baseMs,
        maxDelayMs: opts.maxRetryDelayMs ?? DEFAULT_RETRY.maxDelayMs,
      },
      timeoutMs: opts.timeoutMs ?? 30_000,
      userAgent: 'contextforge-code-engine-client/0.1 (lang=node.js)',
      onRequest: opts.onRequest,
    });
  }

  /**
   * One request, no retries, no interpretation: the status (0 without a response), the body
   * and, for errors, the parsed error (with Retry-After). For probing how a service behaves
   * (`dev smoke code-engine`), never for reconciling.
   */
  async rawOnce<T>(req: ApiRequest): Promise<{ status: number; etag?: string; body?: T; error?: CodeEngineApiError }> {
    const res = await this.transport.once<T>(req);
    if (res instanceof CodeEngineApiError) return { status: res.status, error: res };
    return { status: res.status, etag: res.etag, body: res.body };
  }

  /** Closes the keep-alive connection pool. */
  close(): Promise<void> {
    return this.transport.close();
  }

  listProjects(opts?: ListOptions): Promise<Project[]> {
    return listAll<Project>(this.transport, '/projects', 'projects', opts);
  }

  async getProject(id: string): Promise<Project> {
    const res = await this.transport.request<Project>({ method: 'GET', path: `/projects/${encodeURIComponent(id)}` });
    return res.body;
  }

  /** The project with this name (an `active` one preferred), or null. */
  async findProjectByName(name: string): Promise<Project | null> {
    const matches = (await this.listProjects()).filter((p) => p.name === name);
    return matches.find((p) => p.status === 'active') ?? matches[0] ?? null;
  }

  /** POST /projects (202, status `creating`). Ambiguous failures are resolved by name. */
  async createProject(
    prototype: ProjectPrototype,
  ): Promise<{ value: Project; outcome: CreateResult<Project>['outcome'] }> {
    const policy = this.transport.retryPolicy;
    let ambiguous = false;
    for (let attempt = 0; ; attempt++) {
      const res = await this.transport.once<Project>({ method: 'POST', path: '/projects', body: prototype });
      if (!(res instanceof CodeEngineApiError))
        return { value: res.body, outcome: ambiguous ? 'recovered' : 'created' };
      if (!isRetryableStatus(res.status) || attempt >= policy.maxRetries) throw res;
      await sleep(backoffDelayMs(policy, attempt, res.retryAfterSeconds));
      if (isAmbiguousFailure(res.status)) {
        ambiguous = true;
        const found = await this.findProjectByName(prototype.name);
        if (found) return { value: found, outcome: 'recovered' };
      }
    }
  }

  async deleteProject(id: string): Promise<void> {
    await this.transport.request<unknown>({ method: 'DELETE', path: `/projects/${encodeURIComponent(id)}` });
  }

  /** Everything inside one project. Cheap: no I/O until a method is called. */
  project(projectId: string): ProjectClient {
    return new ProjectClient(this.transport, projectId);
  }
}

export class ProjectClient {
  readonly apps: AppsApi;
  readonly secrets: SecretsApi;
  readonly builds: BuildsApi;
  readonly buildRuns: BuildRunsApi;

  constructor(
    transport: Transport,
    readonly projectId: string,
  ) {
    const base = `/projects/${encodeURIComponent(projectId)}`;
    this.apps = new AppsApi(transport, `${base}/apps`, 'apps', 'PATCH');
    this.secrets = new SecretsApi(transport, `${base}/secrets`, 'secrets', 'PUT');
    this.builds = new BuildsApi(transport, `${base}/builds`, 'builds', 'PATCH');
    this.buildRuns = new BuildRunsApi(transport, `${base}/build_runs`, 'build_runs');
  }
}

export class AppsApi extends VersionedCollection<App, AppPrototype, AppPatch> {
  /** PATCH with `application/merge-patch+json` and `If-Match: etag` (412 or 409 when stale). */
  patch(name: string, mergePatch: AppPatch, etag: string): Promise<Versioned<App>> {
    return this.update(name, mergePatch, etag);
  }

  /** Read-compute-patch that survives concurrent writers; compute returns null for "no change". */
  patchWithRetryOn412(
    name: string,
    computePatch: (current: App) => AppPatch | null,
    maxAttempts?: number,
  ): Promise<Versioned<App> & { updated: boolean }> {
    return this.updateWithRetryOn412(name, computePatch, maxAttempts);
  }

  listRevisions(appName: string, opts?: ListOptions): Promise<AppRevision[]> {
    return listAll<AppRevision>(this.transport, `${this.itemPath(appName)}/revisions`, 'revisions', opts);
  }

  listInstances(appName: string, opts?: ListOptions): Promise<AppInstance[]> {
    return listAll<AppInstance>(this.transport, `${this.itemPath(appName)}/instances`, 'instances', opts);
  }

  /**
   * Polls until the app settles: `ready` with the latest revision ready, or `failed`/`warning`.
   * With `afterRevision` (the latest created revision before a PATCH) it settles only once a
   * newer revision exists: the service creates the revision after the PATCH has answered, so
   * until then the app still shows the old revision, often `ready`. Without it, a revision must
   * exist at all (a new app has none at first). On timeout returns the last observation; the
   * caller decides.
   */
  async waitUntilSettled(name: string, opts: SettleOptions = {}): Promise<Versioned<App>> {
    const deadline = Date.now() + (opts.timeoutMs ?? 300_000);
    const floor = revisionNumber(opts.afterRevision);
    for (;;) {
      const cur = await this.get(name);
      const a = cur.value;
      const created = a.status_details?.latest_created_revision;
      const moved = created !== undefined && revisionNumber(created) > floor;
      const latestReady = a.status === 'ready' && a.status_details?.latest_ready_revision === created;
      if ((moved && (latestReady || a.status === 'failed' || a.status === 'warning')) || Date.now() >= deadline)
        return cur;
      await pause(opts.intervalMs ?? 2_000, opts.signal);
    }
  }

  /**
   * Polls GET until the app answers 404. Code Engine deletes asynchronously (the CLI's
   * `app delete --no-wait` "begins the delete and does not wait"), and a create under the same
   * name fails until it is gone. Resolves true when gone, false at the timeout.
   */
  async waitUntilGone(name: string, opts: WaitOptions = {}): Promise<boolean> {
    const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
    for (;;) {
      if (!(await this.find(name))) return true;
      if (Date.now() >= deadline) return false;
      await pause(opts.intervalMs ?? 1_000, opts.signal);
    }
  }
}

/** `my-app-00007` → 7; 0 when absent or unnumbered. */
export function revisionNumber(name: string | undefined): number {
  const m = /-(\d+)$/.exec(name ?? '');
  return m ? Number(m[1]) : 0;
}

export interface SettleOptions extends WaitOptions {
  /** The latest created revision before the write; settle only on a newer one. */
  afterRevision?: string;
}

export class SecretsApi extends VersionedCollection<Secret, SecretPrototype, SecretReplacement> {
  /** PUT the whole secret (format + data) with `If-Match: etag`. */
  replace(name: string, replacement: SecretReplacement, etag: string): Promise<Versioned<Secret>> {
    return this.update(name, replacement, etag);
  }

  replaceWithRetryOn412(
    name: string,
    compute: (current: Secret) => SecretReplacement | null,
    maxAttempts?: number,
  ): Promise<Versioned<Secret> & { updated: boolean }> {
    return this.updateWithRetryOn412(name, compute, maxAttempts);
  }
}

export class BuildsApi extends VersionedCollection<Build, BuildPrototype, BuildPatch> {
  patch(name: string, mergePatch: BuildPatch, etag: string): Promise<Versioned<Build>> {
    return this.update(name, mergePatch, etag);
  }

  patchWithRetryOn412(
    name: string,
    computePatch: (current: Build) => BuildPatch | null,
    maxAttempts?: number,
  ): Promise<Versioned<Build> & { updated: boolean }> {
    return this.updateWithRetryOn412(name, computePatch, maxAttempts);
  }
}

export class BuildRunsApi extends NamedCollection<BuildRun, BuildRunPrototype> {
  /**
   * POST a build run (202). A name is generated when absent so that an ambiguous failure can be
   * resolved by looking the run up instead of starting a second build.
   */
  override create(prototype: BuildRunPrototype & { name?: string }): Promise<CreateResult<BuildRun>> {
    const name = prototype.name ?? generateRunName(prototype.build_name);
    return super.create({ ...prototype, name });
  }

  listByBuild(buildName: string, opts?: ListOptions): Promise<BuildRun[]> {
    return this.list({ ...opts, query: { ...opts?.query, build_name: buildName } });
  }

  /** Polls until `succeeded` or `failed`; on timeout returns the last observation. */
  async waitForCompletion(name: string, opts: WaitOptions = {}): Promise<BuildRun> {
    const deadline = Date.now() + (opts.timeoutMs ?? 900_000);
    for (;;) {
      const run = (await this.get(name)).value;
      if (run.status === 'succeeded' || run.status === 'failed' || Date.now() >= deadline) return run;
      await pause(opts.intervalMs ?? 2_000, opts.signal);
    }
  }
}

/** `<build>-run-YYMMDD-hhmmss-<4 hex>`: the server's pattern plus a suffix against collisions. */
export function generateRunName(buildName?: string): string {
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
  const rand = Math.floor(Math.random() * 0x10000)
    .toString(16)
    .padStart(4, '0');
  const prefix = (buildName ?? 'build').slice(0, 40).replace(/-+$/, '');
  return `${prefix}-run-${stamp}-${rand}`;
}

export { etagOf };
export type * from './types.js';
export { CodeEngineApiError, toDiagnostic, describeError, type CodeEngineErrorSummary } from './errors.js';
