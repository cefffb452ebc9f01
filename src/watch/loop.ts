// The one reconcile loop of long-running hosts (`up` and `watch`): runs at most one pass at a
// time, coalesces triggers that arrive during a pass into one more pass, retries a failed pass
// with exponential backoff, and on stop lets the pass in flight finish. It knows nothing about
// configs or backends; the pass function does.

/**
 * Why a pass runs; the pass may act differently (e.g. print less on a quiet drift check).
 * 'settle': a pass that waited for the file to be quiet before deleting runs again.
 * 'catalog': the periodic sync changed the copy of a `pin: false` catalog source.
 */
export type Trigger = 'start' | 'config' | 'drift' | 'git' | 'approval' | 'settle' | 'retry' | 'catalog';

/** Backoff of retries after failed passes: doubling from the first delay up to the last. */
export const RETRY_INITIAL_MS = 2_000;
export const RETRY_MAX_MS = 5 * 60_000;

export interface ReconcileLoopOptions {
  /**
   * One pass. Receives every trigger coalesced into it (at least one). Returning 'failed' (an
   * apply that failed, e.g. a runtime that did not start) schedules a 'retry' pass after a
   * backoff that doubles with each failure in a row; any other pass resets it.
   */
  pass: (triggers: ReadonlySet<Trigger>) => Promise<void | 'failed'>;
  /** Retry backoff (tests shorten it). */
  retry?: { initialMs: number; maxMs: number };
  /** Told when a retry is scheduled, with its delay. */
  onRetry?: (delayMs: number) => void;
  /** A pass threw: a bug, reported but the loop keeps running. */
  onError?: (err: Error) => void;
}

export interface ReconcileLoop {
  /** Asks for a pass; returns at once. Ignored after stop(). */
  trigger(why: Trigger): void;
  /** Resolves when no pass runs and none is queued. */
  idle(): Promise<void>;
  /** A pass run outside the loop (up's first apply) failed: retry it as if the loop had run it. */
  failedOutside(): void;
  /** Starts no new pass; resolves once the pass in flight (if any) has finished. */
  stop(): Promise<void>;
  readonly stopped: boolean;
}

export function createReconcileLoop(options: ReconcileLoopOptions): ReconcileLoop {
  let queued = new Set<Trigger>();
  let running: Promise<void> | undefined;
  let stopped = false;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  const retry = options.retry ?? { initialMs: RETRY_INITIAL_MS, maxMs: RETRY_MAX_MS };

  const afterPass = (outcome: void | 'failed'): void => {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = undefined;
    if (outcome !== 'failed') {
      failures = 0;
      return;
    }
    failures += 1;
    const delay = Math.min(retry.maxMs, retry.initialMs * 2 ** (failures - 1));
    options.onRetry?.(delay);
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      trigger('retry');
    }, delay);
  };

  const drain = async (): Promise<void> => {
    while (queued.size > 0 && !stopped) {
      const batch = queued;
      queued = new Set();
      let outcome: void | 'failed' = undefined;
      try {
        outcome = await options.pass(batch);
      } catch (err) {
        options.onError?.(err as Error);
      }
      if (!stopped) afterPass(outcome);
    }
  };

  const trigger = (why: Trigger): void => {
    if (stopped) return;
    queued.add(why);
    if (!running) running = drain().finally(() => (running = undefined));
  };

  return {
    trigger,
    failedOutside(): void {
      if (!stopped && !running) afterPass('failed');
    },
    async idle(): Promise<void> {
      while (running) await running;
    },
    async stop(): Promise<void> {
      stopped = true;
      queued.clear();
      if (retryTimer) clearTimeout(retryTimer);
      while (running) await running;
    },
    get stopped(): boolean {
      return stopped;
    },
  };
}
