// The event routes of the console API: the audit log as JSON (`since` an event id), and one SSE
// stream of everything a console page follows: new audit events (apply progress, drift,
// approvals) and runtime status changes seen by the console's watcher.

import type { EventRecord } from '../state/store.js';
import type { ConsoleContext } from './context.js';
import { ApiError, type Route } from './route.js';

export function eventView(e: EventRecord): Record<string, unknown> {
  const { stack: _s, ...rest } = e;
  return rest;
}

/** Audit events of the stack after event id `since`, oldest first, at most `limit`. */
export function eventsSince(ctx: ConsoleContext, since: number, limit = 500): EventRecord[] {
  // listEvents returns the newest first; a window of 1000 covers any page a client asks for.
  return ctx.store
    .listEvents(ctx.config.stack, { limit: 1000 })
    .filter((e) => e.id > since)
    .sort((a, b) => a.id - b.id)
    .slice(-limit);
}

function sinceParam(q: URLSearchParams): number {
  const v = q.get('since');
  if (v === null || v === '') return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new ApiError(400, 'request.bad-parameter', 'Query parameter since must be an event id (a whole number).');
  return n;
}

export const eventRoutes: Route[] = [
  {
    method: 'GET',
    path: '/events',
    operationId: 'listEvents',
    summary: 'The audit log of the stack, oldest first: events after the id `since`.',
    tag: 'events',
    role: 'viewer',
    query: [
      {
        name: 'since',
        description: 'An event id; only later events are returned.',
        schema: { type: 'integer', minimum: 0 },
      },
    ],
    response: 'EventList',
    async handle({ ctx, query }) {
      return { body: { events: eventsSince(ctx, sinceParam(query)).map(eventView) } };
    },
  },
  {
    method: 'GET',
    path: '/events/stream',
    operationId: 'streamEvents',
    summary:
      'Server-Sent Events: `event` (a new audit event: apply progress, drift, approvals) and `runtime` (a runtime status change), each with a JSON body.',
    tag: 'events',
    role: 'viewer',
    query: [
      {
        name: 'since',
        description: 'Replay audit events after this id first.',
        schema: { type: 'integer', minimum: 0 },
      },
    ],
    response: 'sse',
    async handle({ ctx, query }) {
      const since = query.has('since') ? sinceParam(query) : undefined;
      return {
        sse: async (stream) => {
          const hub = ctx.hub;
          if (!hub) throw new ApiError(503, 'console.stopping', 'The console is stopping.');
          await hub.follow(stream, since);
        },
      };
    },
  },
];
