// The Origin and Host defences seen from a real browser (headless Chromium): a page on a foreign
// origin that knows the token cannot drive the gateway (its CORS preflight gets 403, so fetch
// fails and no session opens); a page on an allowed origin can, and reads Mcp-Session-Id; a
// DNS-rebound name (attacker.example resolved to 127.0.0.1 by Chromium's resolver rules) gets 403.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { skip } from '../support/skip.js';
import { quietLogger } from './support/upstreams.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const TOKEN = `tok-${Math.random().toString(36).slice(2)}`;
let gw: Gateway;
let gwUrl = '';
let gwPort = 0;
const pages: HttpServer[] = [];
let evilOrigin = '';
let appOrigin = '';
const profile = mkdtempSync(join(tmpdir(), 'cf-browser-origin-'));

/** A page server on its own loopback port (so its own origin) whose script calls the gateway. */
async function pageServer(): Promise<string> {
  const srv = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><html><body>pending<script>
      fetch(${JSON.stringify(`${gwUrl}/mcp`)}, {
        method: 'POST',
        headers: { authorization: 'Bearer ${TOKEN}', 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'page', version: '1' } } }),
      }).then(async (r) => {
        await r.text();
        document.body.textContent = 'status:' + r.status + ' session:' + (r.headers.get('mcp-session-id') ? 'yes' : 'no');
      }, (e) => { document.body.textContent = 'blocked:' + e.name; });
    </script></body></html>`);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  pages.push(srv);
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
}

test.before(async () => {
  // Page ports first: the allowed one goes into the gateway's allowedOrigins; the gateway URL is
  // read by the page handlers only when a page is requested.
  evilOrigin = await pageServer();
  appOrigin = await pageServer();
  gw = createGateway({
    port: 0,
    auth: { mode: 'token', tokens: [TOKEN] },
    allowedOrigins: [appOrigin],
    logger: quietLogger(),
  });
  const a = await gw.start();
  gwUrl = a.url;
  gwPort = a.port;
});

test.after(async () => {
  await gw.stop();
  for (const p of pages) await new Promise<void>((r) => p.close(() => r()));
  rmSync(profile, { recursive: true, force: true });
});

/** The DOM after the page's scripts and their requests settled (virtual time waits for the network). */
function dumpDom(url: string, extra: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      CHROMIUM!,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        `--user-data-dir=${profile}`,
        '--virtual-time-budget=15000',
        ...extra,
        '--dump-dom',
        url,
      ],
      { timeout: 120_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`chromium failed: ${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

test('a foreign page with the token is blocked by the browser; an allowed page opens a session', async () => {
  if (!CHROMIUM) return skip('Chromium is not installed (Debian package chromium)');
  const evil = await dumpDom(`${evilOrigin}/`);
  assert.match(evil, 'blocked:TypeError', evil);
  assert.is(gw.sessionCount(), 0, 'the foreign page opened no session');
  assert.match(gw.metricsText(), /contextforge_gateway_rejected_requests_total\{reason="origin"\} [1-9]/);
  const app = await dumpDom(`${appOrigin}/`);
  assert.match(app, 'status:200 session:yes', app);
  assert.is(gw.sessionCount(), 1);
});

test('a DNS-rebound name reaching the loopback listener is refused; localhost is served', async () => {
  if (!CHROMIUM) return skip('Chromium is not installed (Debian package chromium)');
  const rebound = await dumpDom(`http://attacker.example:${gwPort}/readyz`, [
    '--host-resolver-rules=MAP attacker.example 127.0.0.1',
  ]);
  assert.match(rebound, 'Host header not allowed', rebound);
  const local = await dumpDom(`http://localhost:${gwPort}/readyz`);
  assert.match(local, '{"ready":true}', local);
});

test.run();
