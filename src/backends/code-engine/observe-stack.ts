// Observe of one stack through one backend: the two list calls (apps, secrets; secret data
// completed from what we wrote), grouped by observe.ts, the quota gate restarted from that
// census, and the quota pre-flight for the desired set it is given (no extra API call on the
// no-change path). It remembers nothing of the desired set; failures become diagnostics.

import type { Diagnostic, Result } from '../../diag/diagnostic.js';
import type { DesiredResource, ObservedResource } from '../../model/resources.js';
import { diffApp } from './diff.js';
import type { CodeEngineEnv } from './env.js';
import { failureOutcome, scrubber } from './failure.js';
import { runtimeOfSecret } from './names.js';
import { groupStack } from './observe.js';
import { quotaDiagnostics, type QuotaNeed } from './quota.js';
import { countRevisions } from './quota-gate.js';
import { wantApp } from './source-image.js';

export async function observeStack(
  env: CodeEngineEnv,
  stack: string,
  desired: readonly DesiredResource[],
): Promise<Result<ObservedResource[]>> {
  const pending = desired.filter((d) => d.backend === env.name);
  try {
    const pid = await env.projectRef.id();
    if (!pid.value) return { diags: pid.diags };
    const project = env.client.project(pid.value);
    const [apps, listed] = await Promise.all([project.apps.list(), project.secrets.list()]);
    const secrets = await env.secretData.complete(project, listed, (n) => runtimeOfSecret(stack, n) !== undefined);
    const byRuntime = new Map(pending.map((d) => [d.runtime, d]));
    const snap = groupStack({
      stack,
      backend: env.name,
      apps,
      secrets,
      pathOf: (rt) => {
        const t = byRuntime.get(rt)?.spec.transport;
        return t && t.type !== 'stdio' ? { transport: t.type, path: t.path ?? '/mcp' } : undefined;
      },
    });
    env.quota.reset(snap.census);
    // Quota pre-flight for what this plan will write (before any write is made).
    const diags: Diagnostic[] = await quotaDiagnostics({
      census: snap.census,
      need: quotaNeed(env, pending, snap.observed),
      backend: env.name,
      project: env.config.project_id,
      countRevisions: () => countRevisions(project, snap.census.appNames),
    });
    return { value: snap.observed, diags: diags.map(scrubber(env)) };
  } catch (err) {
    const f = failureOutcome(env, { err, address: `backend.${env.name}`, action: `observing stack ${stack}` });
    return { diags: f.diags.map((x) => ({ ...x, address: undefined })) };
  }
}

/** The apps and revisions the desired set would add, and the apps it would remove. */
function quotaNeed(
  env: CodeEngineEnv,
  pending: readonly DesiredResource[],
  observed: readonly ObservedResource[],
): QuotaNeed {
  const have = new Map(observed.filter((o) => o.native?.app).map((o) => [o.runtime, o]));
  const wanted = new Set(pending.map((d) => d.runtime));
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
      backend: env.name,
      desired: d,
      observed: o,
      want: wantApp(env, d).app,
      built: d.spec.source.type === 'github',
    });
    if (c.action === 'update') newRevisions += 1;
  }
  const removedApps = [...have.keys()].filter((rt) => !wanted.has(rt)).length;
  return { newApps, removedApps, newRevisions };
}
