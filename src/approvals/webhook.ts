// Approval notifications: POSTs a JSON payload to approval.notification.webhook_url with undici,
// retrying network failures, 429 and 5xx with exponential backoff. It reports the outcome as a
// value; it never throws for a failed delivery and never puts secrets in what it sends.

import { request } from 'undici';
import { decideEndpoint } from '../config/endpoint-policy.js';

export interface WebhookOptions {
  url: string;
  payload: Record<string, unknown>;
  /** Total attempts, the first included (default 5). */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per-attempt timeout (default 10 s). */
  timeoutMs?: number;
  /** Aborting stops retrying (shutdown). */
  signal?: AbortSignal;
  /** Called before each retry, for a log line. */
  onRetry?: (attempt: number, delayMs: number, why: string) => void;
}

export interface WebhookOutcome {
  delivered: boolean;
  attempts: number;
  status?: number;
  error?: string;
}

function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function postWebhook(options: WebhookOptions): Promise<WebhookOutcome> {
  const attemptsMax = Math.max(1, options.attempts ?? 5);
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 8000;
  const body = JSON.stringify(options.payload);
  let last: WebhookOutcome = { delivered: false, attempts: 0 };
  // Approval payloads describe changes and who may approve them: they go only to hosts the
  // operator allows, whatever the config says (validation refuses the same hosts earlier).
  const policy = decideEndpoint('webhook_url', options.url);
  if (!policy.allowed)
    return { delivered: false, attempts: 0, error: `webhook host ${policy.host} is not allowed: ${policy.why}` };
  for (let attempt = 1; attempt <= attemptsMax; attempt += 1) {
    if (options.signal?.aborted) break;
    let retryable = true;
    try {
      const signals = [AbortSignal.timeout(options.timeoutMs ?? 10_000), ...(options.signal ? [options.signal] : [])];
      const res = await request(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'contextforge-approvals' },
        body,
        signal: AbortSignal.any(signals),
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300)
        return { delivered: true, attempts: attempt, status: res.statusCode };
      retryable = res.statusCode === 429 || res.statusCode >= 500;
      last = { delivered: false, attempts: attempt, status: res.statusCode, error: `HTTP ${res.statusCode}` };
    } catch (err) {
      last = { delivered: false, attempts: attempt, error: (err as Error).message };
    }
    if (!retryable || attempt === attemptsMax) break;
    const delay = Math.min(max, base * 2 ** (attempt - 1));
    options.onRetry?.(attempt, delay, last.error ?? 'failed');
    await wait(delay, options.signal);
  }
  return last;
}
