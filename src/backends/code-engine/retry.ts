// Retry policy of the Code Engine client: which failures are worth another try and how long to
// wait (exponential backoff with full jitter, Retry-After honoured, delay capped).
// Pure functions only; the transport decides whether a request is safe to repeat.

export interface RetryPolicy {
  maxRetries: number;
  baseMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, baseMs: 250, maxDelayMs: 30_000 };

/** 429 and every 5xx except 501 (not implemented never gets better); 0 = no response. */
export function isRetryableStatus(status: number): boolean {
  return status === 0 || status === 429 || (status >= 500 && status !== 501);
}

/**
 * True when a failure may have happened after the server acted (5xx, lost response): a
 * non-idempotent request must then check for its own effect before trying again. 429 is
 * rejected before any work, so it is never ambiguous.
 */
export function isAmbiguousFailure(status: number): boolean {
  return status === 0 || status >= 500;
}

/** Parses Retry-After (delta seconds or HTTP date) into seconds; undefined when absent/bad. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v.trim());
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, (at - now) / 1000);
}

/** The longest Retry-After we obey (the IBM SDKs cap their delay at 30 s as well). */
export const MAX_RETRY_AFTER_MS = 30_000;

/**
 * Delay before retry number `attempt` (0-based): full jitter over base*2^attempt capped at
 * maxDelayMs, but never shorter than the server's Retry-After (itself capped at 30 s).
 */
export function backoffDelayMs(
  policy: RetryPolicy,
  attempt: number,
  retryAfterSeconds?: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseMs * 2 ** attempt);
  const jittered = Math.round(random() * ceiling);
  const floor = retryAfterSeconds !== undefined ? Math.min(MAX_RETRY_AFTER_MS, retryAfterSeconds * 1000) : 0;
  return Math.max(jittered, floor);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
