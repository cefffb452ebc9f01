// The one reconcile loop of long-running hosts (`up` and `watch`): runs at most one pass at a
// time, coalesces triggers that arrive during a pass into one more pass, and on stop lets the
// pass in flight finish. It knows nothing about configs or backends; the pass function does.

/**
 * Why a pass runs; the pass may act differently (e.g. print less on a quiet drift check).
 * 'settle': a pass that waited for the file to be quiet before deleting runs again.
 */
export type Trigger = 'start' | 'config' | 'drift' | 'git' | 'approval' | 'settle';

export interface ReconcileLoopOptions {
  /** One pass. Receives every trigger coalesced into it (at least one). */
  pass: (triggers: ReadonlySet<Trigger>) => Promise<void>;
  /** A pass threw: a bug, reported but the loop keeps running. */
  onError?: (err: Error) => void;
}

export interface ReconcileLoop {
  /** Asks for a pass; returns at once. Ignored after stop(). */
  trigger(why: Trigger): void;
  /** Resolves when no pass runs and none is queued. */
  idle(): Promise<void>;
  /** Starts no new pass; resolves once the pass in flight (if any) has finished. */
  stop(): Promise<void>;
  readonly stopped: boolean;
}

export function createReconcileLoop(options: ReconcileLoopOptions): ReconcileLoop {
  let queued = new Set<Trigger>();
  let running: Promise<void> | undefined;
  let stopped = false;

  const drain = async (): Promise<void> => {
    while (queued.size > 0 && !stopped) {
      const batch = queued;
      queued = new Set();
      try {
        await options.pass(batch);
      } catch (err) {
        options.onError?.(err as Error);
      }
    }
  };

  return {
    trigger(why: Trigger): void {
      if (stopped) return;
      queued.add(why);
      if (!running) running = drain().finally(() => (running = undefined));
    },
    async idle(): Promise<void> {
      while (running) await running;
    },
    async stop(): Promise<void> {
      stopped = true;
      queued.clear();
      while (running) await running;
    },
    get stopped(): boolean {
      return stopped;
    },
  };
}
