// Announces new approval requests: one webhook POST per record (retried by postWebhook), with
// the outcome written to the audit log. Only the URL's origin is logged, since webhook paths
// often carry a token. Deliveries run in the background; drain() waits for them on shutdown.

import { openStore, type StateLocation } from '../state/open.js';
import type { ApprovalRecord, EventRecord } from '../state/store.js';
import { postWebhook, type WebhookOutcome } from './webhook.js';
import { SYSTEM_ACTOR } from './workflow.js';

export interface NotifierOptions {
  log: (line: string) => void;
  attempts?: number;
  baseDelayMs?: number;
}

export interface Notifier {
  /** state: where the outcome event is written (the pass's own store closes before it lands). */
  notify(record: ApprovalRecord, url: string | undefined, state: StateLocation): void;
  /** Waits for deliveries in flight; abort=true stops their retries first. */
  drain(abort?: boolean): Promise<void>;
}

export function approvalPayload(record: ApprovalRecord): Record<string, unknown> {
  return {
    event: 'approval.requested',
    id: record.id,
    status: record.status,
    requestedAt: record.requestedAt,
    expiresAt: record.expiresAt,
    ...record.request,
  };
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid url)';
  }
}

function appendTo(state: StateLocation, event: Omit<EventRecord, 'id' | 'at'>): void {
  const store = openStore(state);
  try {
    store.appendEvent(event);
  } finally {
    store.close();
  }
}

export function createNotifier(options: NotifierOptions): Notifier {
  const inFlight = new Set<Promise<void>>();
  const controller = new AbortController();
  return {
    notify(record: ApprovalRecord, url: string | undefined, state: StateLocation): void {
      if (!url) {
        options.log(
          `Approval ${record.id} requested for ${record.address}; no approval.notification.webhook_url is set, so nobody was notified.`,
        );
        return;
      }
      const p = postWebhook({
        url,
        payload: approvalPayload(record),
        attempts: options.attempts,
        baseDelayMs: options.baseDelayMs,
        signal: controller.signal,
        onRetry: (n, ms, why) =>
          options.log(`Approval ${record.id}: webhook attempt ${n} failed (${why}); retrying in ${ms} ms`),
      }).then((r: WebhookOutcome) => {
        const data = {
          id: record.id,
          to: originOf(url),
          attempts: r.attempts,
          ...(r.status ? { status: r.status } : {}),
          ...(r.error ? { error: r.error } : {}),
        };
        try {
          appendTo(state, {
            stack: record.stack,
            address: record.address,
            actor: SYSTEM_ACTOR,
            type: r.delivered ? 'approval.notified' : 'approval.notify-failed',
            data,
          });
        } catch (err) {
          options.log(`warning: approval ${record.id}: recording the notification failed: ${(err as Error).message}`);
        }
        options.log(
          r.delivered
            ? `Approval ${record.id}: approvers notified via ${data.to}`
            : `warning: approval ${record.id}: the webhook at ${data.to} was not reached after ${r.attempts} attempt(s): ${r.error ?? 'failed'}`,
        );
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    },
    async drain(abort = false): Promise<void> {
      if (abort) controller.abort();
      await Promise.all([...inFlight]);
    },
  };
}
