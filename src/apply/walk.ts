// Walks a dependency graph with bounded parallelism: a node starts once every node it comes
// after has finished successfully; a failed or skipped prerequisite skips its dependents. No
// knowledge of plans or backends: the caller supplies `run` and reads the statuses back.

export interface WalkNode {
  id: string;
  /** Ids that must finish successfully first (ids outside the graph count as done). */
  after: readonly string[];
}

export type WalkStatus = 'ok' | 'failed' | 'skipped';

export interface WalkOptions<N extends WalkNode> {
  parallelism: number;
  /**
   * Performs one node; resolves true on success. A throw counts as failure. Calling `release`
   * says the node now only waits (for readiness): it stops counting against `parallelism`, so
   * another node may start; its dependents still wait until it resolves.
   */
  run: (node: N, release: () => void) => Promise<boolean>;
  /** Called for each node skipped, with the prerequisite that blocked it (or `cycle`). */
  onSkip?: (node: N, blockedBy: string) => void;
}

export async function walkGraph<N extends WalkNode>(
  nodes: readonly N[],
  options: WalkOptions<N>,
): Promise<Map<string, WalkStatus>> {
  const limit = Math.max(1, Math.floor(options.parallelism));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const status = new Map<string, WalkStatus>();
  const pending = new Set(nodes.map((n) => n.id));
  const running = new Map<string, Promise<void>>();
  /** Running nodes that have not released their slot. */
  const holding = new Set<string>();
  let wake: () => void = () => undefined;

  const blocker = (n: N): string | undefined =>
    n.after.find((a) => byId.has(a) && status.has(a) && status.get(a) !== 'ok');
  const ready = (n: N): boolean => n.after.every((a) => !byId.has(a) || status.get(a) === 'ok');

  for (;;) {
    // Skip everything whose prerequisites failed, repeatedly (skips cascade).
    let skipped = true;
    while (skipped) {
      skipped = false;
      for (const id of [...pending]) {
        const n = byId.get(id)!;
        const b = blocker(n);
        if (b) {
          pending.delete(id);
          status.set(id, 'skipped');
          options.onSkip?.(n, b);
          skipped = true;
        }
      }
    }
    // Start ready nodes in a stable order until the bound is reached.
    for (const id of [...pending].sort()) {
      if (holding.size >= limit) break;
      const n = byId.get(id)!;
      if (!ready(n)) continue;
      pending.delete(id);
      holding.add(id);
      const release = (): void => {
        if (holding.delete(id)) wake();
      };
      const p = options
        .run(n, release)
        .then(
          (ok) => ok,
          () => false,
        )
        .then((ok) => {
          status.set(id, ok ? 'ok' : 'failed');
          holding.delete(id);
          running.delete(id);
        });
      running.set(id, p);
    }
    if (running.size === 0) {
      // Nothing runs and nothing is ready: what remains waits on itself.
      for (const id of [...pending].sort()) {
        pending.delete(id);
        status.set(id, 'skipped');
        options.onSkip?.(byId.get(id)!, 'cycle');
      }
      return status;
    }
    await Promise.race([...running.values(), new Promise<void>((resolve) => (wake = resolve))]);
  }
}
