// A real HTTP server on 127.0.0.1 (port 0) speaking the MCP Registry list API
// (`GET /v0/servers?limit=&cursor=&version=latest`) over server.json documents: the official
// `{ servers: [{ server, _meta }], metadata: { nextCursor, count } }` shape, opaque cursors,
// a strong ETag per answer and 304 on If-None-Match. Tests switch it to answer 500, or to never
// answer, and read the requests it saw. It serves a ToolHive document at /toolhive.json too.

import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/registry/servers/', import.meta.url));

/** Every fixture server.json document by file name (without .json). */
export function fixtureDocs(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const f of readdirSync(FIXTURE_DIR)
    .filter((n) => n.endsWith('.json'))
    .sort())
    out[f.replace(/\.json$/, '')] = JSON.parse(readFileSync(join(FIXTURE_DIR, f), 'utf8')) as Record<string, unknown>;
  return out;
}

export interface RegistryEntry {
  server: Record<string, unknown>;
  status?: 'active' | 'deprecated' | 'deleted';
}

export interface FakeRegistry {
  url: string;
  entries: RegistryEntry[];
  /** ok: answer; fail: HTTP 500 on every request; hang: accept and never answer. */
  mode: 'ok' | 'fail' | 'hang';
  /** Entries per page, whatever limit the client asks for (a registry may cap it). */
  pageSize: number;
  requests: { url: string; ifNoneMatch?: string; status: number }[];
  toolhive?: unknown;
  close(): Promise<void>;
}

function answer(res: ServerResponse, req: IncomingMessage, body: string, log: FakeRegistry['requests']): void {
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
  const inm = req.headers['if-none-match'];
  if (inm === etag) {
    log.push({ url: req.url ?? '', ifNoneMatch: inm, status: 304 });
    res.writeHead(304, { etag });
    res.end();
    return;
  }
  log.push({ url: req.url ?? '', ifNoneMatch: inm, status: 200 });
  res.writeHead(200, { 'content-type': 'application/json', etag });
  res.end(body);
}

export async function startRegistry(entries: RegistryEntry[], pageSize = 3): Promise<FakeRegistry> {
  const hung: ServerResponse[] = [];
  const reg = { entries, mode: 'ok', pageSize, requests: [] } as unknown as FakeRegistry;
  const server: Server = createServer((req, res) => {
    if (reg.mode === 'hang') {
      hung.push(res);
      return;
    }
    if (reg.mode === 'fail') {
      reg.requests.push({ url: req.url ?? '', status: 500 });
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"internal"}');
      return;
    }
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (u.pathname === '/toolhive.json' && reg.toolhive)
      return answer(res, req, JSON.stringify(reg.toolhive), reg.requests);
    if (u.pathname !== '/v0/servers') {
      reg.requests.push({ url: req.url ?? '', status: 404 });
      res.writeHead(404);
      res.end();
      return;
    }
    const start = u.searchParams.get('cursor')
      ? Number(Buffer.from(u.searchParams.get('cursor')!, 'base64url').toString())
      : 0;
    const size = Math.min(reg.pageSize, Number(u.searchParams.get('limit') ?? reg.pageSize));
    const slice = reg.entries.slice(start, start + size);
    const next =
      start + size < reg.entries.length ? Buffer.from(String(start + size)).toString('base64url') : undefined;
    const body = JSON.stringify({
      servers: slice.map((e) => ({
        server: e.server,
        _meta: {
          'io.modelcontextprotocol.registry/official': {
            status: e.status ?? 'active',
            publishedAt: '2026-09-01T00:00:00Z',
            isLatest: true,
          },
        },
      })),
      metadata: { count: slice.length, ...(next ? { nextCursor: next } : {}) },
    });
    answer(res, req, body, reg.requests);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  reg.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  reg.close = async () => {
    for (const r of hung) r.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return reg;
}
