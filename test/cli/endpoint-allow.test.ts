// Credential-bearing endpoints are operator decisions: a config that points iam_url/service_url
// at a host that is neither IBM's nor 127.0.0.1/::1/localhost makes `plan` exit 1 with
// endpoint.not-allowed, and the listener at that address never sees a request (so never the
// API key). With CONTEXTFORGE_ALLOWED_ENDPOINTS (or --allow-endpoint) naming it, it is used.
// 127.0.0.2 is loopback-range on purpose: only the exact loopback names are implicitly allowed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startCodeEngineEmulator } from '../../src/emulators/code-engine/index.js';
import { CodeEngineClient } from '../../src/backends/code-engine/client.js';
import { postWebhook } from '../../src/approvals/webhook.js';
import { requireBuild, runCli } from './up-support.js';

requireBuild();

const API_KEY = 'cf-endpoint-test-key-7f3a9c';

interface Listener {
  url: string;
  hostPort: string;
  seen: IncomingMessage[];
  bodies: string[];
  close(): Promise<void>;
}

/** A listener on 127.0.0.2 that records every request it gets and answers 500. */
async function listener(): Promise<Listener> {
  const seen: IncomingMessage[] = [];
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString('utf8')));
    req.on('end', () => {
      bodies.push(b);
      res.writeHead(500).end('no');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.2', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.2:${port}`,
    hostPort: `127.0.0.2:${port}`,
    seen,
    bodies,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

function configDir(o: { iam: string; service: string; project: string }): string {
  const dir = mkdtempSync(join(tmpdir(), 'cf-endpoint-'));
  writeFileSync(
    join(dir, 'contextforge.yaml'),
    [
      'name: endpoint-policy',
      'backends:',
      '  ce:',
      '    type: ibm_code_engine',
      '    region: us-south',
      `    project_id: ${o.project}`,
      '    api_key: ${CE_KEY}',
      `    service_url: ${o.service}`,
      `    iam_url: ${o.iam}`,
      '    per_deployment_limits: { cpu: "0.25", memory: 1G }',
      'catalog:',
      '  - name: Echo',
      '    slug: echo',
      '    source: { type: docker, image: "icr.io/example/echo:1" }',
      '    transport: { type: streamable-http, port: 3001 }',
      'runtimes:',
      '  - name: echo',
      '    catalog: echo',
      '    backend: ce',
      '    guardrails_profile: unrestricted',
      '',
    ].join('\n'),
  );
  return dir;
}

test('plan refuses iam_url/service_url on 127.0.0.2 before any request; the listener sees nothing', async () => {
  const l = await listener();
  const dir = configDir({ iam: l.url, service: `${l.url}/v2`, project: 'default' });
  try {
    const run = runCli(['plan', '-f', join(dir, 'contextforge.yaml')], {
      cwd: dir,
      path: dirname(process.execPath),
      env: { CE_KEY: API_KEY },
    });
    const code = await run.exited;
    const out = run.stdout() + run.stderr();
    assert.is(code, 1, out);
    assert.match(out, 'endpoint.not-allowed');
    assert.match(out, 'backends.ce.iam_url');
    assert.match(out, 'backends.ce.service_url');
    assert.match(out, `CONTEXTFORGE_ALLOWED_ENDPOINTS=${l.hostPort}`);
    assert.not.match(out, API_KEY);
    assert.is(l.seen.length, 0, 'no request reached the listener');
  } finally {
    await l.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with the operator allow-list (env or --allow-endpoint) the same endpoints are used', async () => {
  const emu = await startCodeEngineEmulator({ host: '127.0.0.2', log: () => {} });
  const hostPort = new URL(emu.iamUrl).host;
  const dir = configDir({ iam: emu.iamUrl, service: emu.url, project: emu.projects[0].id });
  try {
    const viaEnv = runCli(['plan', '-f', join(dir, 'contextforge.yaml')], {
      cwd: dir,
      path: dirname(process.execPath),
      env: { CE_KEY: API_KEY, CONTEXTFORGE_ALLOWED_ENDPOINTS: `example.org, ${hostPort}` },
    });
    const codeEnv = await viaEnv.exited;
    assert.ok(codeEnv === 0 || codeEnv === 2, viaEnv.stdout() + viaEnv.stderr());
    assert.match(viaEnv.stdout(), 'runtime.echo');
    const afterEnv = emu.stats.tokenRequests;
    assert.ok(afterEnv >= 1, 'the allowed IAM endpoint was asked for a token');

    const viaFlag = runCli(['plan', '--allow-endpoint', hostPort, '-f', join(dir, 'contextforge.yaml')], {
      cwd: dir,
      path: dirname(process.execPath),
      env: { CE_KEY: API_KEY },
    });
    const codeFlag = await viaFlag.exited;
    assert.ok(codeFlag === 0 || codeFlag === 2, viaFlag.stdout() + viaFlag.stderr());
    assert.ok(emu.stats.tokenRequests > afterEnv, 'the flag allows it too');
  } finally {
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the clients refuse at the point of use too: Code Engine transport and webhook poster', async () => {
  const l = await listener();
  try {
    const client = new CodeEngineClient({
      apiKey: API_KEY,
      region: 'us-south',
      serviceUrl: `${l.url}/v2`,
      iamUrl: l.url,
      maxRetries: 0,
    });
    const err = await client.getProject('x').then(
      () => undefined,
      (e: unknown) => e as Error & { networkCode?: string },
    );
    assert.ok(err, 'listing projects failed');
    assert.is(err!.networkCode, 'endpoint_refused');
    assert.not.match(String(err!.message), API_KEY);
    const hook = await postWebhook({ url: `${l.url}/hook`, payload: { secret: 'x' }, attempts: 1 });
    assert.is(hook.delivered, false);
    assert.match(hook.error ?? '', 'not allowed');
    assert.is(l.seen.length, 0, 'neither client sent anything');
  } finally {
    await l.close();
  }
});

test.run();
