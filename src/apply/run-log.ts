// The record of one apply run while it goes: each change's result, the run's diagnostics, and
// its state writes and audit events, each guarded so that a failed write fails the run (once,
// with one diagnostic) instead of throwing past the actions. It decides nothing about a change.

import type { ApplyOutcome } from '../backends/backend.js';
import type { Diagnostic } from '../diag/diagnostic.js';
import type { Change } from '../model/resources.js';
import type { StateStore } from '../state/store.js';
import { stateWriteFailed } from './record.js';

export type ActionResultStatus = ApplyOutcome['status'] | 'skipped' | 'held';

export interface ActionResult {
  address: string;
  action: Change['action'];
  status: ActionResultStatus;
  attempts: number;
  ms: number;
  diags: Diagnostic[];
}

export interface RunLogInit {
  store: StateStore;
  stack: string;
  /** Who is applying, for the audit log. */
  actor: string;
  say: (line: string) => void;
}

export class RunLog {
  readonly results: ActionResult[] = [];
  readonly diags: Diagnostic[] = [];
  /** A state write failed: the run fails (exit 1) even when every backend action worked. */
  stateFailed = false;
  /** The run's id in state (-1 until it is on record). */
  runId = -1;

  constructor(private readonly init: RunLogInit) {}

  /** Runs one state write; a failure is noted (one diagnostic per kind) and printed. */
  write(what: string, fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (err) {
      this.stateFailed = true;
      const d = stateWriteFailed(this.init.store, what, err);
      if (!this.diags.some((x) => x.code === d.code && x.summary === d.summary)) this.diags.push(d);
      this.init.say(`error: ${d.summary}`);
      return false;
    }
  }

  /** Appends an audit event about `address`, with this run's id first in its data. */
  event(address: string, type: string, data: Record<string, unknown>): void {
    const { store, stack, actor } = this.init;
    this.write('writing an audit event', () =>
      store.appendEvent({ stack, address, actor, type, data: { run: this.runId, ...data } }),
    );
  }

  /** A change that was not attempted (held or skipped). */
  notAttempted(change: Change, status: 'held' | 'skipped'): void {
    this.results.push({ address: change.address, action: change.action, status, attempts: 0, ms: 0, diags: [] });
  }
}
