// The apply engine: applyPlan walks a plan's changes in dependency order with bounded
// parallelism, per-action timeouts and bounded retries, recording each outcome as it lands.
// Planning is src/plan/stack.ts; locking, prompting and the summary belong to src/reconcile/;
// printing goes through onProgress only.

import { hostname, userInfo } from 'node:os';
import type { ApplyOutcome, Backend } from '../backends/backend.js';
import { error, type Diagnostic } from '../diag/diagnostic.js';
import { diagsOf } from '../diag/error.js';
import type { Change, Plan } from '../model/resources.js';
import { approvalSatisfied } from '../plan/approval.js';
import { identityRedactor, type Redactor } from '../plan/redact.js';
import type { RunKind, StateStore } from '../state/store.js';
import { backendLine, doneLine, failedLine, retryLine, startLine, stillLine } from './progress.js';
import { tallyOutcomes, type ApplyTally } from './outcome.js';
import { recordNoop, recordOutcome, stateWriteFailed } from './record.js';
import { walkGraph, type WalkNode } from './walk.js';

export interface RetryPolicy {
  /** Total attempts per action, first one included (default 3). */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export interface ApplyPlanOptions {
  plan: Plan;
  backends: Readonly<Record<string, Backend>>;
  store: StateStore;
  /** Concurrent actions (default 10, like Terraform); one that only waits for readiness (ApplyContext.releaseSlot) no longer counts. */
  parallelism?: number;
  /** Per-action timeout (default 5 minutes). */
  actionTimeoutMs?: number;
  /** Approvers vouching for held changes (`--approved-by`). */
  approvedBy?: readonly string[];
  onProgress?: (line: string) => void;
  retry?: RetryPolicy;
  /** Who is applying, for the audit log (default: approvers, else the OS user). */
  actor?: string;
  redact?: Redactor;
  kind?: RunKind;
  meta?: Record<string, unknown>;
  /** How often "Still creating..." lines appear (default 10 s). */
  stillEveryMs?: number;
  /** Aborting stops starting new actions (Ctrl-C); running ones finish and are recorded. */
  signal?: AbortSignal;
}

export type ActionResultStatus = ApplyOutcome['status'] | 'skipped' | 'held';

export interface ActionResult {
  address: string;
  action: Change['action'];
  status: ActionResultStatus;
  attempts: number;
  ms: number;
  diags: Diagnostic[];
}

export interface ApplyResult {
  outcome: 'success' | 'partial' | 'failed' | 'held';
  /** 0 all applied, 1 something failed, 3 nothing failed but changes were held for approval. */
  exitCode: 0 | 1 | 3;
  results: ActionResult[];
  held: string[];
  /** What the run did, counted from the outcomes (src/apply/outcome.ts): every summary reads this. */
  tally: ApplyTally;
  diags: Diagnostic[];
  runId: number;
  /** Number of backend.apply calls made (0 for a no-change apply). */
  writeCalls: number;
}

function defaultActor(approvedBy?: readonly string[]): string {
  if (approvedBy?.length) return approvedBy.join(',');
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return `uid${process.getuid?.() ?? '?'}@${hostname()}`;
  }
}

type Acting = Exclude<Change['action'], 'noop'>;

interface ChangeNode extends WalkNode {
  change: Change;
}

/** Ordering: creates/updates after what they depend on; deletes after their dependents' deletes. */
function buildNodes(changes: readonly Change[]): ChangeNode[] {
  const deletes = changes.filter((c) => c.action === 'delete');
  return changes.map((c) => {
    if (c.action === 'delete') {
      const after = deletes.filter((o) => o.dependsOn.includes(c.address)).map((o) => o.address);
      return { id: c.address, after, change: c };
    }
    return {
      id: c.address,
      after: c.dependsOn.filter((a) => changes.some((o) => o.address === a && o.action !== 'delete')),
      change: c,
    };
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function applyPlan(options: ApplyPlanOptions): Promise<ApplyResult> {
  const { plan, backends, store } = options;
  const stack = plan.stack;
  const say = (line: string): void => options.onProgress?.((options.redact ?? identityRedactor)(line));
  const actor = options.actor ?? defaultActor(options.approvedBy);
  const timeoutMs = options.actionTimeoutMs ?? 5 * 60_000;
  const attemptsMax = Math.max(1, options.retry?.attempts ?? 3);
  const baseDelay = options.retry?.baseDelayMs ?? 1000;
  const maxDelay = options.retry?.maxDelayMs ?? 10_000;
  const stillEvery = options.stillEveryMs ?? 10_000;
  const results: ActionResult[] = [];
  const diags: Diagnostic[] = [];
  let writeCalls = 0;
  /** A state write failed: the run fails (exit 1) even when every backend action worked. */
  let stateFailed = false;
  const write = (what: string, fn: () => void): boolean => {
    try {
      fn();
      return true;
    } catch (err) {
      stateFailed = true;
      const d = stateWriteFailed(store, what, err);
      if (!diags.some((x) => x.code === d.code && x.summary === d.summary)) diags.push(d);
      say(`error: ${d.summary}`);
      return false;
    }
  };
  let runId = -1;
  // Nothing touches a backend before the run is on record.
  if (
    !write(
      'starting the run',
      () => (runId = store.startRun(stack, options.kind ?? 'apply', { actor, ...(options.meta ?? {}) })),
    )
  )
    return { outcome: 'failed', exitCode: 1, results, held: [], tally: tallyOutcomes([]), diags, runId, writeCalls };

  // State-only housekeeping first: forget vanished unconfigured entries, refresh noops.
  for (const address of plan.forget ?? []) {
    write(`forgetting ${address}`, () =>
      store.transaction(() => {
        store.deleteRuntime(stack, address);
        store.appendEvent({ stack, address, actor, type: 'state.forgotten', data: { run: runId } });
      }),
    );
  }
  for (const c of plan.changes)
    if (c.action === 'noop') write(`refreshing ${c.address}`, () => recordNoop(store, stack, c));

  const acting = plan.changes.filter((c) => c.action !== 'noop');
  const held = acting.filter(
    (c) => c.needsApproval && c.approval && !approvalSatisfied(c.approval, options.approvedBy ?? []),
  );
  const heldSet = new Set(held.map((c) => c.address));
  for (const c of held) {
    results.push({ address: c.address, action: c.action, status: 'held', attempts: 0, ms: 0, diags: [] });
    write('writing an audit event', () =>
      store.appendEvent({
        stack,
        address: c.address,
        actor,
        type: 'approval.held',
        data: {
          run: runId,
          reasons: c.approval?.reasons,
          approvers: c.approval?.approvers,
          specHash: c.desired?.specHash,
        },
      }),
    );
    say(`${c.address}: held for approval (${c.approval?.reasons.join('; ')})`);
  }
  for (const c of acting) {
    if (c.approval && !heldSet.has(c.address) && c.needsApproval) {
      write('writing an audit event', () =>
        store.appendEvent({
          stack,
          address: c.address,
          actor,
          type: 'approval.approved',
          data: { run: runId, by: options.approvedBy, specHash: c.desired?.specHash },
        }),
      );
    }
  }

  const runOne = async (change: Change, release: () => void): Promise<boolean> => {
    const action = change.action as Acting;
    if (options.signal?.aborted) {
      results.push({
        address: change.address,
        action: change.action,
        status: 'skipped',
        attempts: 0,
        ms: 0,
        diags: [],
      });
      diags.push(
        error('apply.interrupted', `${change.address} was not applied because the run was interrupted`, {
          address: change.address,
        }),
      );
      return false;
    }
    const started = Date.now();
    say(startLine(change.address, action));
    const ticker = setInterval(() => say(stillLine(change.address, action, Date.now() - started)), stillEvery);
    ticker.unref?.();
    let outcome: ApplyOutcome = { status: 'failed', diags: [] };
    let attempts = 0;
    try {
      for (;;) {
        attempts += 1;
        outcome = await attempt(change, started, release);
        if (outcome.status !== 'failed' || !outcome.retryable || attempts >= attemptsMax) break;
        const delay = Math.min(maxDelay, baseDelay * 2 ** (attempts - 1));
        say(retryLine(change.address, attempts, delay, outcome.diags[0]?.summary ?? 'retryable failure'));
        await sleep(delay);
      }
    } finally {
      clearInterval(ticker);
    }
    const ms = Date.now() - started;
    if (
      !write(`recording ${change.address}`, () =>
        recordOutcome({ store, stack, change, outcome, attempts, ms, actor, runId }),
      )
    ) {
      // The backend acted, but state does not say so: this action failed as far as anyone
      // reading state (the gateway, the next plan) is concerned.
      const d = diags.find(
        (x) => x.code === 'state.write-failed' && x.summary.startsWith(`recording ${change.address}:`),
      );
      results.push({
        address: change.address,
        action: change.action,
        status: 'failed',
        attempts,
        ms,
        diags: d ? [d] : [],
      });
      say(failedLine(change.address, action, ms, 'its outcome could not be recorded in state'));
      return false;
    }
    results.push({
      address: change.address,
      action: change.action,
      status: outcome.status,
      attempts,
      ms,
      diags: outcome.diags,
    });
    if (outcome.status === 'failed') {
      const why = outcome.diags.find((d) => d.severity === 'error')?.summary ?? 'the backend reported a failure';
      say(failedLine(change.address, action, ms, why));
      diags.push(...outcome.diags.map((d) => ({ ...d, address: d.address ?? change.address })));
      if (outcome.diags.length === 0)
        diags.push(error('apply.failed', `${change.address}: ${why}`, { address: change.address }));
      return false;
    }
    diags.push(
      ...outcome.diags
        .filter((d) => d.severity !== 'error')
        .map((d) => ({ ...d, address: d.address ?? change.address })),
    );
    say(doneLine(change.address, action, ms));
    return true;
  };

  /** One attempt under the per-action timeout; a move between backends is delete then create. */
  const attempt = async (change: Change, started: number, release: () => void): Promise<ApplyOutcome> => {
    const controller = new AbortController();
    const ctx = {
      stack,
      signal: controller.signal,
      progress: (m: string) => say(backendLine(change.address, m, Date.now() - started)),
      releaseSlot: release,
    };
    const call = async (backend: Backend, c: Change): Promise<ApplyOutcome> => {
      writeCalls += 1;
      try {
        return await backend.apply(c, ctx);
      } catch (err) {
        // An expected failure thrown with its diagnostics is reported as it is; anything else is a bug.
        const carried = diagsOf(err);
        if (carried)
          return { status: 'failed', diags: carried.map((d) => ({ ...d, address: d.address ?? c.address })) };
        return {
          status: 'failed',
          diags: [
            error('apply.exception', `${c.address}: the backend threw: ${(err as Error).message}`, {
              address: c.address,
              detail: 'This is a bug in the backend; run with CONTEXTFORGE_DEBUG=1 and report it.',
            }),
          ],
        };
      }
    };
    const work = async (): Promise<ApplyOutcome> => {
      const o = change.observed;
      if (change.reason === 'replace:backend-changed' && o && change.desired) {
        const old = backends[o.backend];
        if (old) {
          const del = await call(old, {
            ...change,
            action: 'delete',
            reason: 'delete:backend-changed',
            backend: o.backend,
            desired: undefined,
          });
          if (del.status === 'failed') return del;
        }
        return call(backends[change.backend], {
          ...change,
          action: 'create',
          reason: 'create:backend-changed',
          observed: undefined,
        });
      }
      return call(backends[change.backend], change);
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ApplyOutcome>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error('timeout'));
        resolve({
          status: 'failed',
          retryable: false,
          diags: [
            error(
              'apply.timeout',
              `${change.address}: ${change.action} did not finish within ${Math.round(timeoutMs / 1000)}s`,
              {
                address: change.address,
                detail: 'Raise --timeout, or look at `contextforge logs` for why the runtime does not become healthy.',
              },
            ),
          ],
        });
      }, timeoutMs);
    });
    try {
      return await Promise.race([work(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  const nodes = buildNodes(acting.filter((c) => !heldSet.has(c.address)));
  // Dependents of held changes wait too: add the held ones as failed prerequisites.
  for (const n of nodes) {
    const waitsOnHeld = n.change.dependsOn.find((a) => heldSet.has(a));
    if (waitsOnHeld && n.change.action !== 'delete') n.after = [...n.after, `held:${waitsOnHeld}`];
  }
  const heldNodes: ChangeNode[] = held.map((c) => ({ id: `held:${c.address}`, after: [], change: c }));
  await walkGraph([...heldNodes, ...nodes], {
    parallelism: options.parallelism ?? 10,
    run: async (n, release) => (n.id.startsWith('held:') ? false : runOne(n.change, release)),
    onSkip: (n, by) => {
      const blocked = by.replace(/^held:/, '');
      if (by.startsWith('held:') || heldSet.has(by)) {
        // Waiting on a held change is itself a hold, not a failure.
        heldSet.add(n.change.address);
        held.push(n.change);
        results.push({
          address: n.change.address,
          action: n.change.action,
          status: 'held',
          attempts: 0,
          ms: 0,
          diags: [],
        });
        write('writing an audit event', () =>
          store.appendEvent({
            stack,
            address: n.change.address,
            actor,
            type: 'approval.held',
            data: { run: runId, waitsFor: blocked },
          }),
        );
        say(`${n.change.address}: held (waits for ${blocked}, which needs approval)`);
        return;
      }
      const why = by === 'cycle' ? 'it is part of a dependency cycle' : `${blocked} did not apply`;
      results.push({
        address: n.change.address,
        action: n.change.action,
        status: 'skipped',
        attempts: 0,
        ms: 0,
        diags: [],
      });
      diags.push(
        error('apply.skipped', `${n.change.address} was not applied because ${why}`, { address: n.change.address }),
      );
      write('writing an audit event', () =>
        store.appendEvent({
          stack,
          address: n.change.address,
          actor,
          type: 'apply.skipped',
          data: { run: runId, blockedBy: blocked },
        }),
      );
      say(`${n.change.address}: skipped (${why})`);
    },
  });

  const failed = results.filter((r) => r.status === 'failed' || r.status === 'skipped').length;
  const applied = results.filter((r) => r.status !== 'failed' && r.status !== 'skipped' && r.status !== 'held').length;
  const outcome: ApplyResult['outcome'] = failed ? (applied ? 'partial' : 'failed') : held.length ? 'held' : 'success';
  const tally = tallyOutcomes(results);
  write('finishing the run', () =>
    store.finishRun(runId, outcome, { ...plan.summary, applied, failed, held: held.length, writeCalls, tally }),
  );
  const exitCode: ApplyResult['exitCode'] = failed || stateFailed ? 1 : held.length ? 3 : 0;
  results.sort((a, b) => a.address.localeCompare(b.address));
  return { outcome, exitCode, results, held: held.map((c) => c.address), tally, diags, runId, writeCalls };
}
