// Planning a whole stack: compile the config, pin its sources, let each backend validate and
// observe (all backends at once), and diff into one Plan. It is the step before apply/ and the
// only place that strings those stages together; it prints nothing and takes no lock.

import type { Backend } from '../backends/backend.js';
import type { LoadedConfig } from '../config/index.js';
import { error, hasErrors, warning, type Diagnostic } from '../diag/diagnostic.js';
import { diagsOf } from '../diag/error.js';
import type { DesiredResource, ObservedResource, ObservedStatus, Plan } from '../model/resources.js';
import { resolveSources } from '../sources/resolve-desired.js';
import type { RuntimeRecord, StateStore } from '../state/store.js';
import { compileDesired } from './desired.js';
import { diffPlan } from './diff.js';

export interface PlanStackOptions {
  config: LoadedConfig;
  backends: Readonly<Record<string, Backend>>;
  store: StateStore;
  targets?: readonly string[];
  strict?: boolean;
  /** Plan the removal of everything of the stack (destroy). */
  destroy?: boolean;
  /** Deletes remove data volumes too (`destroy --delete-volumes`). */
  deleteVolumes?: boolean;
  now?: () => Date;
}

export interface PlanStackResult {
  plan?: Plan;
  desired: DesiredResource[];
  observed: ObservedResource[];
  diags: Diagnostic[];
}

/** Observes every backend at once; an unreachable backend is an error diagnostic. */
export async function observeAll(
  stack: string,
  backends: Readonly<Record<string, Backend>>,
  desired: readonly DesiredResource[] = [],
): Promise<{ observed: ObservedResource[]; diags: Diagnostic[] }> {
  const results = await Promise.all(
    Object.entries(backends).map(async ([name, b]) => {
      try {
        return await b.observe(
          stack,
          desired.filter((d) => d.backend === name),
        );
      } catch (err) {
        const carried = diagsOf(err);
        if (carried) return { diags: carried };
        return {
          diags: [
            error('backend.observe-failed', `observing backend ${name} failed: ${(err as Error).message}`, {
              detail: 'This is a bug in the backend; run with CONTEXTFORGE_DEBUG=1 and report it.',
            }),
          ],
        };
      }
    }),
  );
  const observed: ObservedResource[] = [];
  const diags: Diagnostic[] = [];
  for (const r of results) {
    diags.push(...r.diags);
    if (r.value) observed.push(...r.value);
  }
  return { observed, diags };
}

export async function planStack(options: PlanStackOptions): Promise<PlanStackResult> {
  const { config, backends, store } = options;
  const capabilities = Object.fromEntries(Object.entries(backends).map(([n, b]) => [n, b.describe().capabilities]));
  const compiled = options.destroy
    ? { value: [], diags: [] }
    : compileDesired(config, { capabilities, strict: options.strict });
  const diags: Diagnostic[] = [...compiled.diags];
  // Source resolution (I/O: git ls-remote) pins github sources to a commit before the pure diff.
  const resolved = hasErrors(diags)
    ? { desired: compiled.value ?? [], diags: [] }
    : await resolveSources({
        desired: compiled.value ?? [],
        github: config.github,
        configDir: config.dir,
        include: (d) => capabilities[d.backend]?.supports_github_build === true,
        seccomp: (d) => capabilities[d.backend]?.supports_seccomp === true,
      });
  const desired = resolved.desired;
  diags.push(...resolved.diags);
  for (const [name, b] of Object.entries(backends))
    diags.push(...b.validate(desired.filter((d) => d.backend === name)));
  if (hasErrors(diags)) return { desired, observed: [], diags };

  // A backend without credentials (plan in a pull-request job) is not contacted: its runtimes
  // are compared with what the last apply recorded, as `terraform plan -refresh=false` does.
  const unobserved = config.unobserved ?? {};
  const observable = Object.fromEntries(Object.entries(backends).filter(([n]) => !Object.hasOwn(unobserved, n)));
  const seen = await observeAll(config.stack, observable, desired);
  diags.push(...seen.diags);
  if (Object.keys(unobserved).length > 0) {
    const records = store.listRuntimes(config.stack);
    for (const [name, variable] of Object.entries(unobserved)) {
      const mine = records.filter((r) => r.backend === name);
      seen.observed.push(...mine.map(recordedAsObserved));
      diags.push(
        warning('backend.not-observed', `backend ${name} was not observed: ${variable} is not set`, {
          detail:
            `Its ${mine.length} recorded runtime(s) are compared with the last apply recorded in the state, so ` +
            `changes to the config show but drift on the backend does not. Set ${variable} to observe it; apply needs it.`,
        }),
      );
    }
  }
  if (hasErrors(diags)) return { desired, observed: seen.observed, diags };

  const plan = diffPlan({
    stack: config.stack,
    desired,
    observed: seen.observed,
    state: store.listRuntimes(config.stack),
    backends,
    configFingerprint: config.fingerprint,
    createdAt: (options.now?.() ?? new Date()).toISOString(),
    targets: options.targets,
    approvals: store.listApprovals(config.stack, 'approved'),
    diagnostics: diags.filter((d) => !d.address),
    disabled: options.destroy ? [] : config.runtimes.filter((r) => r.enabled === false).map((r) => `runtime.${r.name}`),
    destroy: options.destroy,
    deleteVolumes: options.deleteVolumes,
  });
  // Warnings about one address (backend validation, observe) travel with its change.
  for (const d of diags) {
    if (!d.address) continue;
    const c = plan.changes.find((x) => x.address === d.address);
    if (c && !c.diagnostics.some((x) => x.code === d.code && x.summary === d.summary)) c.diagnostics.push(d);
    else if (!c) plan.diagnostics.push(d);
  }
  return { plan, desired, observed: seen.observed, diags };
}

const STATUSES = new Set<string>(['running', 'starting', 'stopped', 'exited', 'failed', 'missing', 'unknown']);

/** What the state recorded of a runtime, standing in for an observation the plan could not make. */
function recordedAsObserved(r: RuntimeRecord): ObservedResource {
  return {
    address: r.address,
    runtime: r.runtime,
    backend: r.backend,
    specHash: r.specHash,
    live: { ...r.spec },
    recorded: true,
    status: (STATUSES.has(r.status) ? r.status : 'unknown') as ObservedStatus,
    ...(r.endpoint ? { endpoint: r.endpoint } : {}),
    ...(r.native ? { native: r.native } : {}),
  };
}
