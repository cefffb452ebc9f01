// One attempt at one change: the backend's apply under the per-action timeout (aborting its
// signal when the time is up), a move between backends carried out as delete then create, and
// what the backend threw mapped to an outcome. engine.ts decides retries and records outcomes.

import type { ApplyContext, ApplyOutcome, Backend } from '../backends/backend.js';
import { error } from '../diag/diagnostic.js';
import { diagsOf } from '../diag/error.js';
import type { Change } from '../model/resources.js';
import { backendLine } from './progress.js';

export interface AttemptEnv {
  stack: string;
  backends: Readonly<Record<string, Backend>>;
  /** Per-action timeout. */
  timeoutMs: number;
  say: (line: string) => void;
  /** Called before every backend.apply (the run counts them). */
  onCall: () => void;
}

export interface AttemptInput {
  change: Change;
  /** When the action started (its first attempt), for the elapsed time in progress lines. */
  started: number;
  /** Frees the action's parallelism slot (ApplyContext.releaseSlot). */
  release: () => void;
}

export async function attemptChange(env: AttemptEnv, input: AttemptInput): Promise<ApplyOutcome> {
  const { change, started } = input;
  const controller = new AbortController();
  const ctx: ApplyContext = {
    stack: env.stack,
    signal: controller.signal,
    progress: (m: string) => env.say(backendLine(change.address, m, Date.now() - started)),
    releaseSlot: input.release,
  };
  const call = (backend: Backend, c: Change): Promise<ApplyOutcome> => {
    env.onCall();
    return callBackend(backend, c, ctx);
  };
  const work = async (): Promise<ApplyOutcome> => {
    const o = change.observed;
    if (change.reason === 'replace:backend-changed' && o && change.desired) {
      const old = env.backends[o.backend];
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
      return call(env.backends[change.backend], {
        ...change,
        action: 'create',
        reason: 'create:backend-changed',
        observed: undefined,
      });
    }
    return call(env.backends[change.backend], change);
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ApplyOutcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error('timeout'));
      resolve(timedOut(change, env.timeoutMs));
    }, env.timeoutMs);
  });
  try {
    return await Promise.race([work(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function callBackend(backend: Backend, c: Change, ctx: ApplyContext): Promise<ApplyOutcome> {
  try {
    return await backend.apply(c, ctx);
  } catch (err) {
    // An expected failure thrown with its diagnostics is reported as it is; anything else is a bug.
    const carried = diagsOf(err);
    if (carried) return { status: 'failed', diags: carried.map((d) => ({ ...d, address: d.address ?? c.address })) };
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
}

function timedOut(change: Change, timeoutMs: number): ApplyOutcome {
  return {
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
  };
}
