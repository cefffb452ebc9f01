// `serve` applies the gateway's HTTP settings from contextforge.yaml: metrics public,
// allowed_origins and allowed_hosts, max_sessions_per_principal, and a JWT secret with
// allow_no_exp. Each is observed from outside, through the real CLI and real HTTP.
import { request } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { signHs256 } from '../../src/gateway/index.js';
import { cleanupCopy, quickstartCopy, requireBuild, runCli, type CliRun } from './up-support.js';

requireBuild();
const copy = quickstartCopy();
const SECRET = `jwt-secret-${Math.random().toString(36).slice(2)}-0123456789`;
let serve: CliRun | undefined;

const init = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'cli-test', version: '1' } },
});

test('serve takes metrics, origins, hosts, the per-principal cap and allow_no_exp from the config', async () => {
  const cfg = join(copy.dir, 'contextforge.yaml');
  const gateway = [
    'gateway:',
    '  host: 127.0.0.1',
    '  port: 4444',
    '  metrics: public',
    '  allowed_origins: [http://app.example:8080]',
    '  allowed_hosts: [gw.test]',
    '  max_sessions_per_principal: 1',
    '  auth:',
    `    jwt_secret: ${SECRET}`,
    '    allow_no_exp: true',
    '',
  ].join('\n');
  writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/\ngateway:\n[\s\S]*$/, `\n${gateway}`));
  serve = runCli(['serve', '--port', '0'], { cwd: copy.dir, path: copy.path });
  const url = (await serve.waitFor(/Gateway listening on (http:\/\/127\.0\.0\.1:\d+)\/mcp/))[1];
  const jwt = signHs256({ sub: 'cli-user' }, SECRET);
  const headers = {
    authorization: `Bearer ${jwt}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };

  const metrics = await fetch(`${url}/metrics`);
  assert.is(metrics.status, 200, 'metrics: public');
  await metrics.body?.cancel();

  const evil = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { ...headers, origin: 'http://evil.example' },
    body: init,
  });
  assert.is(evil.status, 403);
  await evil.body?.cancel();

  const first = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { ...headers, origin: 'http://app.example:8080' },
    body: init,
  });
  assert.is(first.status, 200, 'allowed origin, and a JWT without exp accepted by allow_no_exp');
  await first.text();
  assert.ok(first.headers.get('mcp-session-id'));

  const second = await fetch(`${url}/mcp`, { method: 'POST', headers, body: init });
  assert.is(second.status, 429, 'max_sessions_per_principal: 1');
  assert.match(await second.text(), 'max_sessions_per_principal');

  assert.is(await statusWithHost(`${url}/metrics`, 'gw.test'), 200, 'allowed_hosts');
  assert.is(await statusWithHost(`${url}/metrics`, 'attacker.example'), 403);
});

test.after(async () => {
  if (serve && serve.child.exitCode === null) {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
  cleanupCopy(copy);
});

function statusWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

test.run();
