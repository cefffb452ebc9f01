// Waiting for a state the code under test shows only in files, processes or a remote service:
// poll until it holds. The bound only turns a hang into a clear failure; tests wait for the
// state, never for a time.

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The least bound any wait gets: a state a quiet machine reaches in milliseconds can take tens
 * of seconds on a loaded CI runner, and a tighter bound would make the test a speed test.
 */
export const MIN_BOUND_MS = 60_000;

/** Polls fn until it returns a truthy value or the bound (timeoutMs, at least MIN_BOUND_MS) passes. */
export async function until<T>(
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
  everyMs = 250,
): Promise<T> {
  const bound = Math.max(timeoutMs, MIN_BOUND_MS);
  const deadline = Date.now() + bound;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${bound} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
