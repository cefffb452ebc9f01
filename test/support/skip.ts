// Honest skips for uvu tests: uvu cannot skip a test from inside its body, so a test that cannot
// run returns `skip(why)`. That prints a marker line which scripts/test.mjs counts as skipped
// (not passed). Under CI (env CI set) an environment skip throws instead, so CI never passes on
// a missing engine; it must not be used to hide a failing assertion.

/** Prefix of the line scripts/test.mjs counts; keep the two in step. */
export const SKIP_MARKER = '[cf-skip]';
/** Prefix for a check that does not apply to this subject (a capability it lacks). */
export const NOT_APPLICABLE_MARKER = '[cf-skip:not-applicable]';

/**
 * Marks the running test as skipped because something it needs is missing (Docker, a registry
 * binary, a platform). Under CI this throws, making the test fail. Use as `return skip('…')`.
 */
export function skip(why: string): void {
  if (process.env.CI) {
    throw new Error(`Skipped under CI, which counts as a failure: ${why}.`);
  }
  process.stdout.write(`${SKIP_MARKER} ${why}\n`);
}

/**
 * Marks the running test as not applicable to its subject by design (for example, a backend
 * whose capabilities say it keeps no logs). It is counted as skipped, also under CI, because no
 * environment can make it run.
 */
export function notApplicable(why: string): void {
  process.stdout.write(`${NOT_APPLICABLE_MARKER} ${why}\n`);
}
