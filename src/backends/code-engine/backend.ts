// The IBM Code Engine backend: one app per runtime in a Code Engine project, named and marked
// per names.ts, created/patched in place/deleted through the typed client; secret env values in
// one generic secret per runtime (never literal); GitHub sources built by Code Engine builds.
// It touches only apps, secrets and builds with our prefix and mark; it never logs a secret.
//
// observe(stack, desired) runs the quota pre-flight for the desired set it is given, with the
// answers of its own list calls (no extra API call on the no-change path); it remembers nothing
// of it. GitHub refs are pinned to commits by the engine (src/sources) before plan, so plan is
// pure; apply resolves a ref still unpinned (a hand-made change) for that one change only.

import { error, type Diagnostic, type Result } from '../../diag/diagnostic.js';
import { DiagnosticError, diagsOf } from '../../diag/error.js';
import { redact } from '../../diag/redact.js';
import type { CodeEngineBackend, GithubSettings } from '../../generated/config.js';
import type { Change, DesiredResource, ObservedResource } from '../../model/resources.js';
import type { ApplyContext, ApplyOutcome, Backend, BackendDescription } from '../backend.js';
import { CODE_ENGINE_CAPABILITIES } from '../../model/capabilities.js';
import { builtImage, runBuild } from './builds.js';
import { repoUrl } from '../../sources/github/repo.js';
import { resolveRef } from '../../sources/github/resolve.js';
import { githubCredentials } from '../../sources/resolve-desired.js';
import { CodeEngineApiError, CodeEngineClient, type ProjectClient } from './client.js';
import { appPrototype, desiredApp, mergePatch, type ManagedApp } from './desired-app.js';
import { diffApp } from './diff.js';
import { appName, buildName, runtimeOfSecret, SECRET_STACK_KEY, secretName } from './names.js';
import { groupStack, isOwnedApp, isOwnedSecret } from './observe.js';
import { quotaDiagnostics } from './quota.js';
import { countRevisions, QuotaGate } from './quota-gate.js';
import { ProjectRef } from './project-ref.js';
import { inspectInstances } from './status.js';
import type { App } from './types.js';
import { validateDesired } from './validate.js';
import { SecretDataCache } from './secret-data.js';
import { removeRuntime } from './remove.js';

export interface CodeEngineBackendOptions {
  /** The stack this backend serves (names in validate); observe/apply take it from their calls. */
  stack?: string;
  /** Directory relative repo paths resolve against. */
  configDir?: string;
  /** The config's `github:` settings (base_url for owner/name repos, credentials). */
  github?: GithubSettings;
  /** Values scrubbed from every diagnostic (api key, secret env values). */
  sensitiveValues?: ReadonlySet<string>;
  /** A client to use instead of one built from the config (tests count calls through it). */
  client?: CodeEngineClient;
  /** Poll interval while waiting for apps and build runs (default 1000 ms). */
  pollMs?: number;
  /** Upper bound of the wait for an app to become ready (default 4 min). */
  readyTimeoutMs?: number;
  /** Upper bound of the wait for a deleted app to be gone (default 2 min). */
  deleteTimeoutMs?: number;
  /** Client retry tuning (default: the client's). */
  retryBaseMs?: number;
  maxRetries?: number;
  onRequest?: (method: string, path: string, status: number) => void;
}

export interface CodeEngineBackendHandle extends Backend {
  readonly client: CodeEngineClient;
  /** The project id the config's project_id resolves to. */
  projectId(): Promise<Result<string>>;
  /** Adds restarts/startedAt from the apps' instances (one call per app; status verb only). */
  inspect(observed: readonly ObservedResource[]): Promise<ObservedResource[]>;
}

export function createCodeEngineBackend(
  name: string,
  config: CodeEngineBackend,
  opts: CodeEngineBackendOptions = {},
): CodeEngineBackendHandle {
  const client =
    opts.client ??
    new CodeEngineClient({
      apiKey: config.api_key,
      region: config.region,
      serviceUrl: config.service_url,
      iamUrl: config.iam_url,
      retryBaseMs: opts.retryBaseMs,
      maxRetries: opts.maxRetries,
      onRequest: opts.onRequest,
    });
  const pollMs = opts.pollMs ?? 1000;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 240_000;
  const deleteTimeoutMs = opts.deleteTimeoutMs ?? 120_000;
  const secretDataCache = new SecretDataCache();
  const configDir = opts.configDir ?? process.cwd();
  const projectRef = new ProjectRef(name, config, client);
  const quota = new QuotaGate();

  const scrubber = (d?: DesiredResource) => {
    const values = [config.api_key, ...(opts.sensitiveValues ?? []), ...Object.values(d?.secretEnv ?? {})].filter(
      (v) => v && v.length >= 4,
    );
    return (diag: Diagnostic): Diagnostic => ({
      ...diag,
      summary: redact(diag.summary, values),
      ...(diag.detail ? { detail: redact(diag.detail, values) } : {}),
    });
  };

  function failure(err: unknown, d: DesiredResource | undefined, address: string, action: string): ApplyOutcome {
    const scrub = scrubber(d);
    const carried = diagsOf(err);
    if (carried) return { status: 'failed', diags: carried.map((x) => scrub({ ...x, address })) };
    if (err instanceof CodeEngineApiError)
      return { status: 'failed', retryable: err.retryable, diags: [scrub(err.toDiagnostic({ address }))] };
    if (err instanceof Error && (err.name === 'AbortError' || /abort|timeout/i.test(err.message))) {
      return {
        status: 'failed',
        retryable: false,
        diags: [error('ce.interrupted', `${action} of ${address} was interrupted`, { address })],
      };
    }
    return {
      status: 'failed',
      diags: [
        scrub(error('ce.apply-failed', `${action} of ${address} failed: ${(err as Error).message}`, { address })),
      ],
    };
  }

  // ---- GitHub sources -------------------------------------------------------------------

  function sourceKey(d: DesiredResource): { url: string; ref: string } | undefined {
    const s = d.spec.source;
    if (s.type !== 'github') return undefined;
    return { url: repoUrl({ repo: s.repo, baseUrl: opts.github?.base_url, configDir }), ref: s.commit ?? s.ref };
  }

  /** The image a runtime runs: its docker image, or the build of its pinned (or `resolved`) commit. */
  function imageOf(d: DesiredResource, resolved?: string): { image?: string; commit?: string } {
    const s = d.spec.source;
    if (s.type === 'docker') return { image: s.image };
    if (s.type !== 'github') return {};
    const ref = s.commit ?? s.ref;
    const commit = /^[0-9a-f]{40}$/.test(ref) ? ref : resolved;
    return commit ? { image: builtImage(config, d.spec.catalog, commit), commit } : {};
  }

  function want(d: DesiredResource, resolved?: string): { app?: ManagedApp; problem?: string } {
    const img = imageOf(d, resolved);
    if (!img.image) return { problem: 'the commit of its GitHub source is not resolved' };
    const r = desiredApp({ desired: d, config, image: img.image });
    return { app: r.value, problem: r.problem };
  }

  // ---- apply ------------------------------------------------------------------------------

  async function ensureSecret(
    project: ProjectClient,
    name: string,
    data: Record<string, string>,
    address: string,
  ): Promise<void> {
    const found = await project.secrets.find(name);
    if (found && !isOwnedSecret(found.value, data[SECRET_STACK_KEY])) {
      throw new DiagnosticError(
        error('ce.name-taken', `Code Engine secret ${name} exists but was not created by this stack`, {
          address,
          detail: 'Rename or delete that secret yourself; contextforge never touches secrets without its mark.',
        }),
      );
    }
    if (!found) {
      const r = await project.secrets.create({ name, format: 'generic', data });
      if (r.outcome !== 'existing') {
        secretDataCache.remember(name, r.etag || r.value.entity_tag, data);
        return;
      }
    }
    const same = (cur: Record<string, string> | undefined): boolean => {
      const a = Object.keys(cur ?? {}).sort();
      const b = Object.keys(data).sort();
      return a.length === b.length && a.every((k, i) => k === b[i] && cur![k] === data[k]);
    };
    const r = await project.secrets.replaceWithRetryOn412(name, (cur) =>
      same(cur.data) ? null : { format: 'generic', data },
    );
    secretDataCache.remember(name, r.etag || r.value.entity_tag, data);
  }

  function observedFrom(
    app: App,
    d: DesiredResource,
    stack: string,
    secret?: { name: string; data: Record<string, string> },
  ): ObservedResource | undefined {
    const snap = groupStack({
      stack,
      backend: name,
      apps: [app],
      secrets: secret ? [{ name: secret.name, format: 'generic', data: secret.data } as never] : [],
      pathOf: () =>
        d.spec.transport.type === 'stdio'
          ? undefined
          : { transport: d.spec.transport.type, path: d.spec.transport.path ?? '/mcp' },
    });
    return snap.observed.find((o) => o.runtime === d.runtime);
  }

  async function upsert(change: Change, ctx: ApplyContext): Promise<ApplyOutcome> {
    const d = change.desired!;
    const stack = ctx.stack;
    const project = await projectRef.projectClient();
    const app = appName(stack, d.runtime);
    const sName = secretName(stack, d.runtime);
    const scrub = scrubber(d);
    const exists = Boolean(change.observed?.native?.app);

    // A change built by hand (not by plan) may carry an unpinned ref: pin it for this change only.
    let resolved: string | undefined;
    if (d.spec.source.type === 'github' && !imageOf(d).image) {
      const k = sourceKey(d)!;
      const r = await resolveRef({
        url: k.url,
        ref: k.ref,
        address: d.address,
        credentials: githubCredentials(opts.github, configDir),
      });
      if (!r.value) return { status: 'failed', diags: r.diags.map(scrub) };
      resolved = r.value;
    }
    const w = want(d, resolved);
    if (!w.app)
      return {
        status: 'failed',
        diags: [
          error('ce.unsupported', `${d.address} cannot run on Code Engine: ${w.problem}`, { address: d.address }),
        ],
      };

    const gate = await quota.reserve(project, exists ? 'patch' : 'create', d.address);
    if (gate) return { status: 'failed', retryable: false, diags: [gate] };

    if (d.spec.source.type === 'github') {
      const liveImage = (change.observed?.live as { image?: string } | undefined)?.image;
      if (liveImage !== w.app.image) {
        const k = sourceKey(d)!;
        const built = await runBuild({
          project,
          config,
          buildName: buildName(stack, d.runtime),
          source: d.spec.source,
          url: k.url,
          commit: imageOf(d, resolved).commit!,
          image: w.app.image,
          address: d.address,
          signal: ctx.signal,
          progress: ctx.progress,
          pollMs,
        });
        if (!built.ok) return { status: 'failed', diags: built.diags.map(scrub) };
      }
    }

    const secretData = Object.keys(d.secretEnv).length ? { ...d.secretEnv, [SECRET_STACK_KEY]: stack } : undefined;
    if (secretData) {
      ctx.progress(`writing secret ${sName}`);
      await ensureSecret(project, sName, secretData, d.address);
    }
    const proto = appPrototype({
      name: app,
      stack,
      app: w.app,
      specHash: d.specHash,
      secretName: secretData ? sName : undefined,
    });
    let created = false;
    // The latest revision before our PATCH: readiness then waits for a newer one.
    let afterRevision: string | undefined;
    if (!exists) {
      ctx.progress(`creating app ${app}`);
      const r = await project.apps.create(proto);
      created = r.outcome !== 'existing';
      if (r.outcome === 'existing' && !isOwnedApp(r.value, stack)) {
        return {
          status: 'failed',
          diags: [
            error('ce.name-taken', `Code Engine app ${app} exists but was not created by stack ${stack}`, {
              address: d.address,
              detail:
                'Rename the runtime, or delete that app yourself; contextforge never touches apps without its mark.',
            }),
          ],
        };
      }
    }
    if (!created) {
      ctx.progress(`patching app ${app}`);
      try {
        let before: { etag: string; revision?: string } | undefined;
        const r = await project.apps.patchWithRetryOn412(app, (cur) => {
          before = { etag: cur.entity_tag, revision: cur.status_details?.latest_created_revision };
          if (!isOwnedApp(cur, stack))
            throw new DiagnosticError(
              error('ce.name-taken', `Code Engine app ${app} is no longer marked as stack ${stack}'s`, {
                address: d.address,
              }),
            );
          return mergePatch(cur, proto);
        });
        // A write that changed the app (its entity tag moved) makes a new revision.
        if (r.updated && before && r.etag !== before.etag) afterRevision = before.revision ?? `${app}-00000`;
      } catch (err) {
        // Deleted behind our back between plan and apply: create it instead.
        if (!(err instanceof CodeEngineApiError && err.status === 404)) throw err;
        await project.apps.create(proto);
      }
    }
    if (!secretData && change.observed?.native?.secret) {
      await project.secrets.delete(String(change.observed.native.secret), { ignoreNotFound: true });
      secretDataCache.forget(String(change.observed.native.secret));
    }
    ctx.progress(`waiting for app ${app} to become ready`);
    const settled = (
      await project.apps.waitUntilSettled(app, {
        intervalMs: pollMs,
        timeoutMs: readyTimeoutMs,
        signal: ctx.signal,
        afterRevision,
      })
    ).value;
    const observed = observedFrom(settled, d, stack, secretData ? { name: sName, data: secretData } : undefined);
    if (settled.status === 'ready') return { status: exists ? 'updated' : 'created', observed, diags: [] };
    const reason = settled.status_details?.reason ?? settled.status;
    return {
      status: 'failed',
      observed,
      retryable: settled.status === 'deploying',
      diags: [
        error(
          settled.status === 'deploying' ? 'ce.not-ready' : 'ce.app-failed',
          `Code Engine app ${app} of ${d.address} is ${settled.status}: ${reason}`,
          {
            address: d.address,
            detail:
              settled.status === 'deploying'
                ? `It did not become ready within ${Math.round(readyTimeoutMs / 1000)}s; apply again to keep waiting.`
                : 'The latest revision does not run: check the image, its port and its logs (IBM Cloud Logs).',
          },
        ),
      ],
    };
  }

  function remove(change: Change, ctx: ApplyContext): Promise<ApplyOutcome> {
    return removeRuntime({
      change,
      ctx,
      project: () => projectRef.projectClient(),
      pollMs,
      deleteTimeoutMs,
      onAppDeleted: () => quota.removed(),
      onSecretDeleted: (n) => secretDataCache.forget(n),
    });
  }

  const backend: CodeEngineBackendHandle = {
    client,
    projectId: () =>
      projectRef.id().catch((err: unknown) => ({
        diags: [failure(err, undefined, `backend.${name}`, 'resolving the project').diags[0]],
      })),
    describe(): BackendDescription {
      return { name, kind: 'ibm_code_engine', capabilities: CODE_ENGINE_CAPABILITIES };
    },
    validate(desired: readonly DesiredResource[]): Diagnostic[] {
      return validateDesired({
        backend: name,
        config,
        stack: opts.stack ?? '',
        desired: desired.filter((d) => d.backend === name),
      });
    },
    async observe(stack: string, desired: readonly DesiredResource[] = []): Promise<Result<ObservedResource[]>> {
      const pending = desired.filter((d) => d.backend === name);
      try {
        const pid = await projectRef.id();
        if (!pid.value) return { diags: pid.diags };
        const project = client.project(pid.value);
        const [apps, listed] = await Promise.all([project.apps.list(), project.secrets.list()]);
        const secrets = await secretDataCache.complete(project, listed, (n) => runtimeOfSecret(stack, n) !== undefined);
        const byRuntime = new Map(pending.map((d) => [d.runtime, d]));
        const snap = groupStack({
          stack,
          backend: name,
          apps,
          secrets,
          pathOf: (rt) => {
            const t = byRuntime.get(rt)?.spec.transport;
            return t && t.type !== 'stdio' ? { transport: t.type, path: t.path ?? '/mcp' } : undefined;
          },
        });
        quota.reset(snap.census);
        const diags: Diagnostic[] = [];
        // Quota pre-flight for what this plan will write (before any write is made).
        const have = new Map(snap.observed.filter((o) => o.native?.app).map((o) => [o.runtime, o]));
        let newApps = 0;
        let newRevisions = 0;
        for (const d of pending) {
          const o = have.get(d.runtime);
          if (!o) {
            newApps += 1;
            newRevisions += 1;
            continue;
          }
          const c = diffApp({
            backend: name,
            desired: d,
            observed: o,
            want: want(d).app,
            built: d.spec.source.type === 'github',
          });
          if (c.action === 'update') newRevisions += 1;
        }
        const removedApps = [...have.keys()].filter((rt) => !byRuntime.has(rt)).length;
        diags.push(
          ...(await quotaDiagnostics({
            census: snap.census,
            need: { newApps, removedApps, newRevisions },
            backend: name,
            project: config.project_id,
            countRevisions: () => countRevisions(project, snap.census.appNames),
          })),
        );
        return { value: snap.observed, diags: diags.map(scrubber()) };
      } catch (err) {
        const f = failure(err, undefined, `backend.${name}`, `observing stack ${stack}`);
        return { diags: f.diags.map((x) => ({ ...x, address: undefined })) };
      }
    },
    plan(desired: DesiredResource | undefined, observed: ObservedResource | undefined): Change {
      if (!desired) return diffApp({ backend: name, desired, observed });
      const w = want(desired);
      return diffApp({
        backend: name,
        desired,
        observed,
        want: w.app,
        problem: w.problem,
        built: desired.spec.source.type === 'github',
      });
    },
    async apply(change: Change, ctx: ApplyContext): Promise<ApplyOutcome> {
      try {
        switch (change.action) {
          case 'noop':
            return { status: 'unchanged', observed: change.observed, diags: [] };
          case 'delete':
            return await remove(change, ctx);
          case 'create':
          case 'update':
          case 'replace':
            if (!change.desired)
              return {
                status: 'failed',
                diags: [
                  error('ce.no-desired', `${change.action} of ${change.address} has no desired spec`, {
                    address: change.address,
                  }),
                ],
              };
            return await upsert(change, ctx);
        }
      } catch (err) {
        return failure(err, change.desired, change.address, change.action);
      }
    },
    async inspect(observed: readonly ObservedResource[]): Promise<ObservedResource[]> {
      const project = await projectRef.projectClient();
      return inspectInstances(project, observed);
    },
    async close(): Promise<void> {
      await client.close();
    },
  };
  return backend;
}
