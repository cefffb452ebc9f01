// Taking the stack lock for a state-changing command, with the diagnostics people see when
// another process holds it (pid, host, since, operation) and the note when a dead holder's
// lock was taken over.

import { error, type Diagnostic } from '../diag/diagnostic.js';
import type { LockHolder, StateStore } from '../state/store.js';

export function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on host ${h.host} (${h.operation}${h.runId ? `, run ${h.runId}` : ''}, since ${h.since}${h.id ? `, lock id ${h.id}` : ''})`;
}

export function lockedDiagnostic(stack: string, holder: LockHolder, waitedMs: number): Diagnostic {
  return error('state.locked', `the state of stack ${stack} is locked by ${describeHolder(holder)}`, {
    detail:
      `Waited ${Math.round(waitedMs / 1000)}s. Wait for that run to finish (or pass a longer --lock-timeout). ` +
      `If that process crashed on another host, remove the lock with \`contextforge force-unlock ${holder.id ?? 'LOCK_ID'}\`.`,
  });
}

/**
 * Acquires the lock, returning a release function, or a diagnostic naming the holder. `note`
 * receives the line printed when a dead process's lock is taken over.
 */
export async function takeLock(input: {
  store: StateStore;
  stack: string;
  operation: string;
  timeoutMs: number;
  note?: (line: string) => void;
}): Promise<{ release?: () => void; diag?: Diagnostic }> {
  const r = await input.store.acquireLock(input.stack, input.operation, input.timeoutMs);
  if (!r.ok) return { diag: lockedDiagnostic(input.stack, r.holder, input.timeoutMs) };
  if (r.takenOver) {
    input.note?.(
      `Took over the lock of stack ${input.stack} from ${describeHolder(r.takenOver)}: that process no longer exists.`,
    );
  }
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      try {
        input.store.releaseLock(input.stack);
      } catch (err) {
        // The row names a process that is about to exit: the next run on this host takes it
        // over, so a failing store must not turn the outcome into an unexpected failure.
        input.note?.(
          `warning: could not release the lock in ${input.store.location}: ${(err as Error).message}; the next run takes it over (or \`contextforge force-unlock\`).`,
        );
      }
    },
  };
}
