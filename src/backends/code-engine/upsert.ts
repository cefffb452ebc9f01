// Creating or updating one runtime on Code Engine, in order: pin a GitHub ref a hand-made change
// left unpinned, reserve quota, build the image when the live one differs, write the secret,
// create or merge-patch the app (If-Match; only with our mark), drop a secret no longer needed,
// and wait for the new revision to be ready. Each step is one function; backend.ts maps throws.

import { error, type Diagnostic } from '../../diag/diagnostic.js';
import { DiagnosticError } from '../../diag/error.js';
import {
  GATEWAY_DEPLOY_ADDRESS,
  type Change,
  type DesiredResource,
  type ObservedResource,
} from '../../model/resources.js';
import { resolveRef } from '../../sources/github/resolve.js';
import { githubCredentials } from '../../sources/resolve-desired.js';
import type { ApplyContext, ApplyOutcome } from '../backend.js';
import { runBuild } from './builds.js';
import { CodeEngineApiError, type ProjectClient } from './client.js';
import { appPrototype, mergePatch, type ManagedApp } from './desired-app.js';
import type { CodeEngineEnv } from './env.js';
import { scrubber } from './failure.js';
import { appName, buildName, SECRET_STACK_KEY, secretName } from './names.js';
import { groupStack, isOwnedApp } from './observe.js';
import { gatewayPrototype, gatewaySecretData, upstreamUrls } from './gateway-app.js';
import { ensureSecret } from './secret-write.js';
import { imageOf, sourceKey, wantApp } from './source-image.js';
import type { App, AppPrototype } from './types.js';

/** A step either carries on with its value or ends the change with this outcome. */
type Step<T> = { value: T; failed?: undefined } | { failed: ApplyOutcome };

export async function upsertRuntime(env: CodeEngineEnv, change: Change, ctx: ApplyContext): Promise<ApplyOutcome> {
  const d = change.desired!;
  const stack = ctx.stack;
  const project = await env.projectRef.projectClient();
  const app = appName(stack, d.runtime);
  const sName = secretName(stack, d.runtime);
  const scrub = scrubber(env, d);
  const exists = Boolean(change.observed?.native?.app);

  const pinned = await pinSource(env, d, scrub);
  if (pinned.failed) return pinned.failed;
  const resolved = pinned.value;
  const w = wantApp(env, d, resolved);
  if (!w.app)
    return {
      status: 'failed',
      diags: [error('ce.unsupported', `${d.address} cannot run on Code Engine: ${w.problem}`, { address: d.address })],
    };

  const gate = await env.quota.reserve(project, exists ? 'patch' : 'create', d.address);
  if (gate) return { status: 'failed', retryable: false, diags: [gate] };

  const built = await buildIfChanged(env, { change, ctx, project, want: w.app, resolved, scrub });
  if (built) return built;

  const gateway = d.address === GATEWAY_DEPLOY_ADDRESS;
  let secretData: Record<string, string> | undefined = Object.keys(d.secretEnv).length
    ? { ...d.secretEnv, [SECRET_STACK_KEY]: stack }
    : undefined;
  if (gateway) {
    // The gateway reaches its upstreams at their apps' internal endpoints (applied before it).
    const found = await upstreamUrls(project, stack, d);
    if (found.missing.length)
      return {
        status: 'failed',
        retryable: true,
        diags: [
          error('ce.gateway-upstream-missing', `the gateway app cannot reach runtime(s) ${found.missing.join(', ')}`, {
            address: d.address,
            detail:
              'Their Code Engine apps do not exist or have no internal endpoint yet; apply again once they are created.',
          }),
        ],
      };
    secretData = gatewaySecretData({ d, stack, upstreams: found.upstreams });
  }
  if (secretData) {
    ctx.progress(`writing secret ${sName}`);
    await ensureSecret({ project, cache: env.secretData, name: sName, data: secretData, address: d.address });
  }
  const runtimeProto = appPrototype({
    name: app,
    stack,
    app: w.app,
    specHash: d.specHash,
    secretName: secretData ? sName : undefined,
  });
  const proto = gateway ? gatewayPrototype(runtimeProto, sName) : runtimeProto;
  const written = await writeApp({ project, proto, stack, exists, address: d.address, progress: ctx.progress });
  if (written.failed) return written.failed;
  if (!secretData && change.observed?.native?.secret) {
    await project.secrets.delete(String(change.observed.native.secret), { ignoreNotFound: true });
    env.secretData.forget(String(change.observed.native.secret));
  }
  ctx.progress(`waiting for app ${app} to become ready`);
  const settled = (
    await project.apps.waitUntilSettled(app, {
      intervalMs: env.pollMs,
      timeoutMs: env.readyTimeoutMs,
      signal: ctx.signal,
      afterRevision: written.value.afterRevision,
    })
  ).value;
  const observed = observedFrom(env, {
    app: settled,
    desired: d,
    stack,
    secret: secretData ? { name: sName, data: secretData } : undefined,
  });
  return settledOutcome(env, { app, settled, observed, desired: d, exists });
}

/** A change built by hand (not by plan) may carry an unpinned ref: pin it for this change only. */
async function pinSource(
  env: CodeEngineEnv,
  d: DesiredResource,
  scrub: (diag: Diagnostic) => Diagnostic,
): Promise<Step<string | undefined>> {
  if (d.spec.source.type !== 'github' || imageOf(env, d).image) return { value: undefined };
  const k = sourceKey(env, d)!;
  const r = await resolveRef({
    url: k.url,
    ref: k.ref,
    address: d.address,
    credentials: githubCredentials(env.github, env.configDir),
  });
  if (!r.value) return { failed: { status: 'failed', diags: r.diags.map(scrub) } };
  return { value: r.value };
}

interface BuildStepInput {
  change: Change;
  ctx: ApplyContext;
  project: ProjectClient;
  want: ManagedApp;
  /** The commit pinSource resolved, if it had to. */
  resolved: string | undefined;
  scrub: (diag: Diagnostic) => Diagnostic;
}

/** Builds a GitHub source's image unless the live app already runs it; the failed outcome if not. */
async function buildIfChanged(env: CodeEngineEnv, input: BuildStepInput): Promise<ApplyOutcome | undefined> {
  const { change, ctx, want } = input;
  const d = change.desired!;
  if (d.spec.source.type !== 'github') return undefined;
  const liveImage = (change.observed?.live as { image?: string } | undefined)?.image;
  if (liveImage === want.image) return undefined;
  const k = sourceKey(env, d)!;
  const built = await runBuild({
    project: input.project,
    config: env.config,
    buildName: buildName(ctx.stack, d.runtime),
    source: d.spec.source,
    url: k.url,
    commit: imageOf(env, d, input.resolved).commit!,
    image: want.image,
    address: d.address,
    signal: ctx.signal,
    progress: ctx.progress,
    pollMs: env.pollMs,
  });
  return built.ok ? undefined : { status: 'failed', diags: built.diags.map(input.scrub) };
}

interface WriteAppInput {
  project: ProjectClient;
  proto: AppPrototype;
  stack: string;
  /** Whether observe saw the app (else it is created, or patched when it turns out to exist). */
  exists: boolean;
  address: string;
  progress: (message: string) => void;
}

/**
 * Creates the app, or merge-patches it (only while it carries our mark). `afterRevision` is the
 * latest revision before a PATCH that changed the app: readiness then waits for a newer one.
 */
async function writeApp(input: WriteAppInput): Promise<Step<{ afterRevision?: string }>> {
  const { project, proto, stack, address } = input;
  const app = proto.name;
  let created = false;
  let afterRevision: string | undefined;
  if (!input.exists) {
    input.progress(`creating app ${app}`);
    const r = await project.apps.create(proto);
    created = r.outcome !== 'existing';
    if (r.outcome === 'existing' && !isOwnedApp(r.value, stack)) {
      return {
        failed: {
          status: 'failed',
          diags: [
            error('ce.name-taken', `Code Engine app ${app} exists but was not created by stack ${stack}`, {
              address,
              detail:
                'Rename the runtime, or delete that app yourself; contextforge never touches apps without its mark.',
            }),
          ],
        },
      };
    }
  }
  if (!created) {
    input.progress(`patching app ${app}`);
    try {
      let before: { etag: string; revision?: string } | undefined;
      const r = await project.apps.patchWithRetryOn412(app, (cur) => {
        before = { etag: cur.entity_tag, revision: cur.status_details?.latest_created_revision };
        if (!isOwnedApp(cur, stack))
          throw new DiagnosticError(
            error('ce.name-taken', `Code Engine app ${app} is no longer marked as stack ${stack}'s`, { address }),
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
  return { value: { afterRevision } };
}

interface ObservedFromInput {
  app: App;
  desired: DesiredResource;
  stack: string;
  secret?: { name: string; data: Record<string, string> };
}

/** The runtime as observe would see it, from the settled app and the secret just written. */
function observedFrom(env: CodeEngineEnv, input: ObservedFromInput): ObservedResource | undefined {
  const { desired: d, secret } = input;
  const snap = groupStack({
    stack: input.stack,
    backend: env.name,
    apps: [input.app],
    secrets: secret ? [{ name: secret.name, format: 'generic', data: secret.data } as never] : [],
    pathOf: () =>
      d.spec.transport.type === 'stdio'
        ? undefined
        : { transport: d.spec.transport.type, path: d.spec.transport.path ?? '/mcp' },
  });
  return snap.observed.find((o) => o.address === d.address);
}

interface SettledInput {
  /** The app's name. */
  app: string;
  settled: App;
  observed: ObservedResource | undefined;
  desired: DesiredResource;
  exists: boolean;
}

/** Ready is done; still deploying is retryable; anything else is the revision's failure. */
function settledOutcome(env: CodeEngineEnv, input: SettledInput): ApplyOutcome {
  const { settled, observed, desired: d } = input;
  if (settled.status === 'ready') return { status: input.exists ? 'updated' : 'created', observed, diags: [] };
  const reason = settled.status_details?.reason ?? settled.status;
  const deploying = settled.status === 'deploying';
  return {
    status: 'failed',
    observed,
    retryable: deploying,
    diags: [
      error(
        deploying ? 'ce.not-ready' : 'ce.app-failed',
        `Code Engine app ${input.app} of ${d.address} is ${settled.status}: ${reason}`,
        {
          address: d.address,
          detail: deploying
            ? `It did not become ready within ${Math.round(env.readyTimeoutMs / 1000)}s; apply again to keep waiting.`
            : 'The latest revision does not run: check the image, its port and its logs (IBM Cloud Logs).',
        },
      ),
    ],
  };
}
