// The shape of one console API route: method, OpenAPI path template, the least role it needs,
// its parameters and body/response schemas (component names), and the handler. The router
// dispatches from these entries and the OpenAPI document is generated from the same entries, so
// a route cannot exist without being documented.

import type { ConsoleContext, SseStream } from './context.js';
import type { Identity, Role } from './roles.js';

export type { SseStream };

export interface QueryParam {
  name: string;
  description: string;
  schema: Record<string, unknown>;
}

export type ApiReply = { status?: number; body: unknown } | { sse: (stream: SseStream) => Promise<void> };

export interface ApiRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  who: Identity;
  ctx: ConsoleContext;
}

export interface Route {
  method: 'GET' | 'POST';
  /** OpenAPI path template relative to /api/v1, e.g. `/runtimes/{name}`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  role: Role;
  query?: QueryParam[];
  /** Component name of the JSON body, validated before the handler runs. */
  body?: string;
  /** Component name of the 200 JSON body; `sse` for an event stream. */
  response: string | 'sse';
  /** Set for JSON routes that switch to SSE with a query parameter (logs?follow=1). */
  sseWhen?: string;
  handle(req: ApiRequest): Promise<ApiReply>;
}

/** An expected failure: the router renders it as `{ error: { code, message, detail } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}
