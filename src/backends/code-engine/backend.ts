// The IBM Code Engine backend: one app per runtime in a Code Engine project, named and marked
// per names.ts, created/patched in place/deleted through the typed client; secret env values in
// one generic secret per runtime (never literal); GitHub sources built by Code Engine builds.
// It touches only apps, secrets and builds with our prefix and mark; it never logs a secret.
//
// observe(stack, desired) runs the quota pre-flight for the desired set it is given, with the
// answers of its own list calls (no extra API call on the no-change path); it remembers nothing
// of it. GitHub refs are pinned to commits by the engine (src/sources) before plan, so plan is
// pure; apply resolves a ref still unpinned (a hand-made change) for that one change only.
//
// This module only assembles the Backend interface. The steps take the backend's env.ts
// explicitly: observe-stack.ts (observe and the quota pre-flight), upsert.ts (create/update),
// remove.ts (delete), failure.ts (what a throw becomes), source-image.ts (the image and app wanted).

import { error, type Diagnostic, type Result } from '../../diag/diagnostic.js';
import type { CodeEngineBackend } from '../../generated/config.js';
import type { Change, DesiredResource, ObservedResource } from '../../model/resources.js';
import type { ApplyContext, ApplyOutcome, Backend, BackendDescription } from '../backend.js';
import { CODE_ENGINE_CAPABILITIES } from '../../model/capabilities.js';
import type { CodeEngineClient } from './client.js';
import { diffApp } from './diff.js';
import { createEnv, type CodeEngineBackendOptions } from './env.js';
import { failureOutcome } from './failure.js';
import { observeStack } from './observe-stack.js';
import { removeRuntime } from './remove.js';
import { wantApp } from './source-image.js';
import { inspectInstances } from './status.js';
import { upsertRuntime } from './upsert.js';
import { validateDesired } from './validate.js';

export type { CodeEngineBackendOptions } from './env.js';

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
  const env = createEnv(name, config, opts);
  const { client, projectRef } = env;

  function remove(change: Change, ctx: ApplyContext): Promise<ApplyOutcome> {
    return removeRuntime({
      change,
      ctx,
      project: () => projectRef.projectClient(),
      pollMs: env.pollMs,
      deleteTimeoutMs: env.deleteTimeoutMs,
      onAppDeleted: () => env.quota.removed(),
      onSecretDeleted: (n) => env.secretData.forget(n),
    });
  }

  const backend: CodeEngineBackendHandle = {
    client,
    projectId: () =>
      projectRef.id().catch((err: unknown) => ({
        diags: [failureOutcome(env, { err, address: `backend.${name}`, action: 'resolving the project' }).diags[0]],
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
    observe(stack: string, desired: readonly DesiredResource[] = []): Promise<Result<ObservedResource[]>> {
      return observeStack(env, stack, desired);
    },
    plan(desired: DesiredResource | undefined, observed: ObservedResource | undefined): Change {
      if (!desired) return diffApp({ backend: name, desired, observed });
      const w = wantApp(env, desired);
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
            return await upsertRuntime(env, change, ctx);
        }
      } catch (err) {
        return failureOutcome(env, { err, desired: change.desired, address: change.address, action: change.action });
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
