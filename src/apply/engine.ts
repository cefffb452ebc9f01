// The apply engine: applyPlan walks a plan's changes in dependency order with bounded
// parallelism and bounded retries, recording each outcome as it lands (one attempt under its
// timeout is attempt.ts; the run's results, diagnostics and guarded state writes run-log.ts).
// Planning is src/plan/stack.ts; locking, prompting and the summary belong to src/reconcile/;
// printing goes through onProgress only.

import { hostname, userInfo } from 'node:os';
import type { ApplyOutcome, Backend } from '../backends/backend.js';
import { error, type Diagnostic } from '../diag/diagnostic.js';
import type { Change, Plan } from '../model/resources.js';
import { approvalSatisfied } from '../plan/approval.js';
import { identityRedactor, type Redactor } from '../plan/redact.js';
import type { RunKind, StateStore } from '../state/store.js';
import { attemptChange, type AttemptEnv } from './attempt.js';
import { doneLine, failedLine, retryLine, startLine, stillLine } from './progress.js';
import { tallyOutcomes, type ApplyTally } from './outcome.js';
import { recordNoop, recordOutcome } from './record.js';
import { RunLog, type ActionResult } from './run-log.js';
import { walkGraph, type WalkNode } from './walk.js';

export type { ActionResult, ActionResultStatus } from './run-log.js';

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

/** What the steps of one run share: its log, where it records, how it prints and retries. */
interface RunEnv {
  log: RunLog;
  store: StateStore;
  stack: string;
  actor: string;
  say: (line: string) => void;
  attempt: AttemptEnv;
  retry: { attemptsMax: number; baseDelay: number; maxDelay: number };
  /** How often "Still creating..." lines appear. */
  stillEvery: number;
  signal?: AbortSignal;
}

export async function applyPlan(options: ApplyPlanOptions): Promise<ApplyResult> {
  const { plan, backends, store } = options;
  const stack = plan.stack;
  const say = (line: string): void => options.onProgress?.((options.redact ?? identityRedactor)(line));
  const actor = options.actor ?? defaultActor(options.approvedBy);
  const log = new RunLog({ store, stack, actor, say });
  let writeCalls = 0;
  const env: RunEnv = {
    log,
    store,
    stack,
    actor,
    say,
    attempt: {
      stack,
      backends,
      timeoutMs: options.actionTimeoutMs ?? 5 * 60_000,
      say,
      onCall: () => (writeCalls += 1),
    },
    retry: {
      attemptsMax: Math.max(1, options.retry?.attempts ?? 3),
      baseDelay: options.retry?.baseDelayMs ?? 1000,
      maxDelay: options.retry?.maxDelayMs ?? 10_000,
    },
    stillEvery: options.stillEveryMs ?? 10_000,
    signal: options.signal,
  };
  // Nothing touches a backend before the run is on record.
  if (
    !log.write(
      'starting the run',
      () => (log.runId = store.startRun(stack, options.kind ?? 'apply', { actor, ...(options.meta ?? {}) })),
    )
  )
    return {
      outcome: 'failed',
      exitCode: 1,
      results: log.results,
      held: [],
      tally: tallyOutcomes([]),
      diags: log.diags,
      runId: log.runId,
      writeCalls,
    };

  housekeeping(env, plan);
  const acting = plan.changes.filter((c) => c.action !== 'noop');
  const held = holdUnapproved(env, acting, options.approvedBy);
  const heldSet = new Set(held.map((c) => c.address));

  const nodes = buildNodes(acting.filter((c) => !heldSet.has(c.address)));
  // Dependents of held changes wait too: add the held ones as failed prerequisites.
  for (const n of nodes) {
    const waitsOnHeld = n.change.dependsOn.find((a) => heldSet.has(a));
    if (waitsOnHeld && n.change.action !== 'delete') n.after = [...n.after, `held:${waitsOnHeld}`];
  }
  const heldNodes: ChangeNode[] = held.map((c) => ({ id: `held:${c.address}`, after: [], change: c }));
  await walkGraph([...heldNodes, ...nodes], {
    parallelism: options.parallelism ?? 10,
    run: async (n, release) => (n.id.startsWith('held:') ? false : runAction(env, n.change, release)),
    onSkip: (n, by) => notApplied(env, { change: n.change, by, held, heldSet }),
  });

  const { results, diags } = log;
  const failed = results.filter((r) => r.status === 'failed' || r.status === 'skipped').length;
  const applied = results.filter((r) => r.status !== 'failed' && r.status !== 'skipped' && r.status !== 'held').length;
  const outcome: ApplyResult['outcome'] = failed ? (applied ? 'partial' : 'failed') : held.length ? 'held' : 'success';
  const tally = tallyOutcomes(results);
  log.write('finishing the run', () =>
    store.finishRun(log.runId, outcome, { ...plan.summary, applied, failed, held: held.length, writeCalls, tally }),
  );
  const exitCode: ApplyResult['exitCode'] = failed || log.stateFailed ? 1 : held.length ? 3 : 0;
  results.sort((a, b) => a.address.localeCompare(b.address));
  return {
    outcome,
    exitCode,
    results,
    held: held.map((c) => c.address),
    tally,
    diags,
    runId: log.runId,
    writeCalls,
  };
}

/** State-only housekeeping first: forget vanished unconfigured entries, refresh noops. */
function housekeeping(env: RunEnv, plan: Plan): void {
  const { log, store, stack, actor } = env;
  for (const address of plan.forget ?? []) {
    log.write(`forgetting ${address}`, () =>
      store.transaction(() => {
        store.deleteRuntime(stack, address);
        store.appendEvent({ stack, address, actor, type: 'state.forgotten', data: { run: log.runId } });
      }),
    );
  }
  for (const c of plan.changes)
    if (c.action === 'noop') log.write(`refreshing ${c.address}`, () => recordNoop(store, stack, c));
}

/**
 * The changes held for approval (recorded as held, with an audit event each), and an audit
 * event for each change that needed approval and has it.
 */
function holdUnapproved(env: RunEnv, acting: readonly Change[], approvedBy?: readonly string[]): Change[] {
  const { log, say } = env;
  const held = acting.filter((c) => c.needsApproval && c.approval && !approvalSatisfied(c.approval, approvedBy ?? []));
  const heldSet = new Set(held.map((c) => c.address));
  for (const c of held) {
    log.notAttempted(c, 'held');
    log.event(c.address, 'approval.held', {
      reasons: c.approval?.reasons,
      approvers: c.approval?.approvers,
      specHash: c.desired?.specHash,
    });
    say(`${c.address}: held for approval (${c.approval?.reasons.join('; ')})`);
  }
  for (const c of acting) {
    if (c.approval && !heldSet.has(c.address) && c.needsApproval)
      log.event(c.address, 'approval.approved', { by: approvedBy, specHash: c.desired?.specHash });
  }
  return held;
}

/** One change with its retries; records its outcome. False when it did not apply. */
async function runAction(env: RunEnv, change: Change, release: () => void): Promise<boolean> {
  const { log, say } = env;
  const action = change.action as Acting;
  if (env.signal?.aborted) {
    log.notAttempted(change, 'skipped');
    log.diags.push(
      error('apply.interrupted', `${change.address} was not applied because the run was interrupted`, {
        address: change.address,
      }),
    );
    return false;
  }
  const started = Date.now();
  say(startLine(change.address, action));
  const ticker = setInterval(() => say(stillLine(change.address, action, Date.now() - started)), env.stillEvery);
  ticker.unref?.();
  let outcome: ApplyOutcome = { status: 'failed', diags: [] };
  let attempts = 0;
  const { attemptsMax, baseDelay, maxDelay } = env.retry;
  try {
    for (;;) {
      attempts += 1;
      outcome = await attemptChange(env.attempt, { change, started, release });
      if (outcome.status !== 'failed' || !outcome.retryable || attempts >= attemptsMax) break;
      const delay = Math.min(maxDelay, baseDelay * 2 ** (attempts - 1));
      say(retryLine(change.address, attempts, delay, outcome.diags[0]?.summary ?? 'retryable failure'));
      await sleep(delay);
    }
  } finally {
    clearInterval(ticker);
  }
  const ms = Date.now() - started;
  const { store, stack, actor } = env;
  if (
    !log.write(`recording ${change.address}`, () =>
      recordOutcome({ store, stack, change, outcome, attempts, ms, actor, runId: log.runId }),
    )
  ) {
    // The backend acted, but state does not say so: this action failed as far as anyone
    // reading state (the gateway, the next plan) is concerned.
    const d = log.diags.find(
      (x) => x.code === 'state.write-failed' && x.summary.startsWith(`recording ${change.address}:`),
    );
    log.results.push({
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
  log.results.push({
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
    log.diags.push(...outcome.diags.map((d) => ({ ...d, address: d.address ?? change.address })));
    if (outcome.diags.length === 0)
      log.diags.push(error('apply.failed', `${change.address}: ${why}`, { address: change.address }));
    return false;
  }
  log.diags.push(
    ...outcome.diags.filter((d) => d.severity !== 'error').map((d) => ({ ...d, address: d.address ?? change.address })),
  );
  say(doneLine(change.address, action, ms));
  return true;
}

interface NotAppliedInput {
  change: Change;
  /** What it waited for: an address, `held:<address>`, or `cycle`. */
  by: string;
  /** The run's held changes and their addresses; a change waiting on one joins them. */
  held: Change[];
  heldSet: Set<string>;
}

/** A change the walk did not run: held when it waits on a held change, else skipped. */
function notApplied(env: RunEnv, input: NotAppliedInput): void {
  const { log, say } = env;
  const { change, by } = input;
  const blocked = by.replace(/^held:/, '');
  if (by.startsWith('held:') || input.heldSet.has(by)) {
    // Waiting on a held change is itself a hold, not a failure.
    input.heldSet.add(change.address);
    input.held.push(change);
    log.notAttempted(change, 'held');
    log.event(change.address, 'approval.held', { waitsFor: blocked });
    say(`${change.address}: held (waits for ${blocked}, which needs approval)`);
    return;
  }
  const why = by === 'cycle' ? 'it is part of a dependency cycle' : `${blocked} did not apply`;
  log.notAttempted(change, 'skipped');
  log.diags.push(
    error('apply.skipped', `${change.address} was not applied because ${why}`, { address: change.address }),
  );
  log.event(change.address, 'apply.skipped', { blockedBy: blocked });
  say(`${change.address}: skipped (${why})`);
}
