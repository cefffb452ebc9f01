// HTTP plumbing of the Code Engine emulator: the §9 error container, a tiny template router,
// body reading and paging. Owns wire formatting only; no resource semantics live here.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';

export interface ErrorTarget {
  type: string;
  name: string;
}

/** Thrown by handlers; the server turns it into `{errors:[…], trace, status_code}`. */
export class EmuError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target?: ErrorTarget,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function badField(name: string, message: string, code = 'invalid_field_value'): EmuError {
  return new EmuError(400, code, message, { type: 'field', name });
}

export function notFound(): EmuError {
  return new EmuError(404, 'resource_not_found', 'Resource not found.');
}

export function newTrace(): string {
  return `codeengine-api-${randomBytes(16).toString('hex')}`;
}

export function errorBody(err: EmuError): Record<string, unknown> {
  const item: Record<string, unknown> = { code: err.code, message: err.message };
  if (err.target) item.target = err.target;
  return { errors: [item], trace: newTrace(), status_code: err.status };
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function sendReply(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let payload = '';
  if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body);
    headers['content-type'] = 'application/json; charset=utf-8';
  }
  headers['content-length'] = String(Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(payload);
}

export async function readBody(req: IncomingMessage, maxBytes = 2 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > maxBytes) throw new EmuError(413, 'request_entity_too_large', 'The request body is too large.');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON object body, requiring one of the given content types. */
export function parseJsonObject(
  text: string,
  contentType: string | undefined,
  allowed: string[],
): Record<string, unknown> {
  const ct = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (!allowed.includes(ct)) {
    throw new EmuError(415, 'unsupported_media_type', `Content-Type must be ${allowed.join(' or ')}.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new EmuError(400, 'invalid_json', 'The request body is not valid JSON.');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new EmuError(400, 'invalid_request_body', 'The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

export interface Route<C> {
  method: string;
  template: string;
  regex: RegExp;
  keys: string[];
  handler: (ctx: C) => Promise<Reply> | Reply;
}

export function route<C>(method: string, template: string, handler: (ctx: C) => Promise<Reply> | Reply): Route<C> {
  const keys: string[] = [];
  const pattern = template.replace(/:([a-z_]+)/g, (_m, k: string) => {
    keys.push(k);
    return '([^/]+)';
  });
  return { method, template, regex: new RegExp(`^${pattern}/?$`), keys, handler };
}

export function matchRoute<C>(
  routes: Route<C>[],
  method: string,
  path: string,
): { route: Route<C>; params: Record<string, string> } | { methodNotAllowed: true } | null {
  let pathMatched = false;
  for (const r of routes) {
    const m = r.regex.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (r.method !== method) continue;
    const params: Record<string, string> = {};
    r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1])));
    return { route: r, params };
  }
  return pathMatched ? { methodNotAllowed: true } : null;
}

/** `{<key>: items, limit, first:{href}, next?:{href,start}}` with an opaque offset token. */
export function paginate<T>(items: T[], query: URLSearchParams, href: string, key: string): Record<string, unknown> {
  const limitRaw = query.get('limit');
  const limit = limitRaw === null ? 50 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw badField('limit', 'The limit must be an integer between 1 and 100.');
  }
  let offset = 0;
  const start = query.get('start');
  if (start) {
    const decoded = Number(Buffer.from(start, 'base64url').toString('utf8').replace(/^o:/, ''));
    if (!Number.isInteger(decoded) || decoded < 0) throw badField('start', 'The start token is not valid.');
    offset = decoded;
  }
  const page = items.slice(offset, offset + limit);
  const extra = [...query.entries()].filter(([k]) => k !== 'start' && k !== 'limit');
  const qs = (s?: string): string => {
    const p = new URLSearchParams(extra);
    p.set('limit', String(limit));
    if (s) p.set('start', s);
    return `${href}?${p.toString()}`;
  };
  const body: Record<string, unknown> = { [key]: page, limit, first: { href: qs() } };
  if (offset + limit < items.length) {
    const next = Buffer.from(`o:${offset + limit}`, 'utf8').toString('base64url');
    body.next = { href: qs(next), start: next };
  }
  return body;
}
