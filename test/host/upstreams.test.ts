// The host glue without a gateway: state records → upstream specs (transport per endpoint kind,
// call timeouts with the Code Engine floor, concurrency, skip reasons), the state follower on a
// real SQLite store (it notices another connection's commit), and gateway auth resolution.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { upstreamsFromRecords, callTimeoutFor } from '../../src/host/upstreams.js';
import { followState } from '../../src/host/follow.js';
import { resolveGatewayAuth, tokenFilePath } from '../../src/host/auth.js';
import { openStateStore } from '../../src/state/sqlite.js';
import type { RuntimeRecord } from '../../src/state/store.js';
import type { LoadedConfig } from '../../src/config/model.js';
import type { UpstreamSpec } from '../../src/gateway/index.js';
import { until } from '../support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'cf-host-'));

function rec(runtime: string, over: Partial<RuntimeRecord>): RuntimeRecord {
  return {
    stack: 's',
    address: `runtime.${runtime}`,
    runtime,
    backend: 'b',
    backendType: 'docker',
    specHash: `h-${runtime}`,
    spec: {} as RuntimeRecord['spec'],
    status: 'running',
    warnings: [],
    appliedAt: new Date(0).toISOString(),
    ...over,
  };
}

const config = {
  dir,
  stack: 's',
  gateway: { call_timeout: '10s', max_concurrency: 4 },
  runtimes: [{ name: 'slow', call_timeout: '2m', max_concurrency: 1 }],
  backends: { d: { type: 'docker' } },
} as unknown as LoadedConfig;

test('records become upstreams by endpoint kind, with timeouts and concurrency', () => {
  const docker = new Dockerode({ socketPath: '/nonexistent.sock' });
  const set = upstreamsFromRecords(
    [
      rec('web', { endpoint: { transport: 'streamable-http', url: 'http://127.0.0.1:1/mcp' } }),
      rec('old', { endpoint: { transport: 'sse', url: 'http://127.0.0.1:2/sse' } }),
      rec('ce', {
        backendType: 'ibm_code_engine',
        endpoint: { transport: 'streamable-http', url: 'http://127.0.0.1:3/mcp' },
      }),
      rec('proc', {
        backendType: 'process',
        endpoint: { transport: 'stdio', attach: { kind: 'process', socketPath: '/tmp/x.sock' } },
      }),
      rec('box', { backend: 'd', endpoint: { transport: 'stdio', attach: { kind: 'docker', containerId: 'abc' } } }),
      rec('slow', { endpoint: { transport: 'streamable-http', url: 'http://127.0.0.1:4/mcp' } }),
      rec('noendpoint', {}),
      rec('gone', { status: 'missing', endpoint: { transport: 'sse', url: 'http://127.0.0.1:5/sse' } }),
      // The gateway deployed to Code Engine is recorded beside the runtimes but is no upstream.
      rec('gateway', {
        address: 'gateway.deploy',
        backendType: 'ibm_code_engine',
        endpoint: { transport: 'streamable-http', url: 'http://127.0.0.1:6/mcp' },
      }),
    ],
    { config, docker: (b) => (b === 'd' ? docker : undefined) },
  );
  const by = new Map(set.upstreams.map((u) => [u.name, u]));
  assert.equal([...by.keys()], ['box', 'ce', 'old', 'proc', 'slow', 'web']);
  assert.equal([by.get('web')!.transport, by.get('web')!.url], ['streamable-http', 'http://127.0.0.1:1/mcp']);
  assert.is(by.get('old')!.transport, 'sse');
  assert.is(by.get('proc')!.stdio!.key, 'process-socket:/tmp/x.sock');
  // Docker stdio runtimes get a server process per gateway session (docker exec), never a shared attach.
  assert.is(by.get('box')!.stdio!.key, 'docker-exec:abc');
  assert.is(by.get('box')!.stdio!.singleSession, undefined);
  assert.is(by.get('web')!.callTimeoutMs, 10_000);
  assert.is(by.get('ce')!.callTimeoutMs, 30_000, 'Code Engine gets at least 30 s for cold starts');
  assert.is(by.get('ce')!.pingIntervalMs, 0, 'no liveness ping keeps a Code Engine app from scaling to zero');
  assert.is(by.get('web')!.pingIntervalMs, undefined, 'other runtimes keep the gateway default ping');
  assert.is(by.get('slow')!.callTimeoutMs, 120_000);
  assert.is(by.get('slow')!.maxConcurrency, 1);
  assert.is(by.get('web')!.maxConcurrency, 4);
  assert.equal(set.skipped.map((s) => s.runtime).sort(), ['gone', 'noendpoint']);
  // A new endpoint for the same spec (container replaced) is a new upstream identity.
  const moved = upstreamsFromRecords(
    [rec('web', { endpoint: { transport: 'streamable-http', url: 'http://127.0.0.1:9/mcp' } })],
    { config },
  );
  assert.is.not(moved.upstreams[0].specHash, by.get('web')!.specHash);
});

test('a remote source sends its headers only to loopback or an operator-allowed host', () => {
  const remoteConfig = {
    ...config,
    runtimes: [
      { name: 'near', catalog: 'hosted', secrets: { API_TOKEN: 'tok-near-123' } },
      { name: 'far', catalog: 'hosted', secrets: { API_TOKEN: 'tok-far-456' } },
      { name: 'open', catalog: 'plain' },
    ],
    catalog: { hosted: { env: { API_TOKEN: { secret: true } } }, plain: {} },
  } as unknown as LoadedConfig;
  const remote = (url: string, headers?: Record<string, string>) =>
    ({ source: { type: 'remote', url, ...(headers ? { headers } : {}) } }) as unknown as RuntimeRecord['spec'];
  const records = [
    ['near', 'http://127.0.0.1:7/mcp', { Authorization: 'Bearer {API_TOKEN}' }],
    ['far', 'https://mcp.example.net/mcp', { Authorization: 'Bearer {API_TOKEN}' }],
    ['open', 'https://public.example.org/mcp', undefined],
  ].map(([name, url, headers]) =>
    rec(name as string, {
      spec: remote(url as string, headers as Record<string, string> | undefined),
      endpoint: { transport: 'streamable-http', url: url as string },
    }),
  );
  const saved = process.env.CONTEXTFORGE_ALLOWED_ENDPOINTS;
  try {
    delete process.env.CONTEXTFORGE_ALLOWED_ENDPOINTS;
    const set = upstreamsFromRecords(records, { config: remoteConfig });
    assert.equal(set.upstreams.map((u) => u.name).sort(), ['near', 'open'], 'no headers, no credentials: served');
    assert.equal(set.upstreams.find((u) => u.name === 'near')!.headers, { Authorization: 'Bearer tok-near-123' });
    const far = set.skipped.find((x) => x.runtime === 'far');
    assert.ok(far, JSON.stringify(set.skipped));
    assert.match(far!.why, 'its headers are not sent to mcp.example.net:443');
    assert.match(far!.why, 'CONTEXTFORGE_ALLOWED_ENDPOINTS=mcp.example.net:443');
    assert.not.ok(JSON.stringify(set.skipped).includes('tok-far-456'));
    process.env.CONTEXTFORGE_ALLOWED_ENDPOINTS = 'mcp.example.net';
    const allowed = upstreamsFromRecords(records, { config: remoteConfig });
    assert.equal(allowed.upstreams.map((u) => u.name).sort(), ['far', 'near', 'open']);
  } finally {
    if (saved === undefined) delete process.env.CONTEXTFORGE_ALLOWED_ENDPOINTS;
    else process.env.CONTEXTFORGE_ALLOWED_ENDPOINTS = saved;
  }
});

test('call timeouts: defaults without config, Code Engine floor over a short gateway default', () => {
  assert.is(callTimeoutFor({ runtime: 'x', backendType: 'docker' }), 60_000);
  const short = { ...config, gateway: { call_timeout: '5s' }, runtimes: [] } as unknown as LoadedConfig;
  assert.is(callTimeoutFor({ runtime: 'x', backendType: 'ibm_code_engine' }, short), 30_000);
  assert.is(callTimeoutFor({ runtime: 'x', backendType: 'process' }, short), 5_000);
});

test('the follower notices a commit from another connection and refresh() forces a rebuild', async () => {
  const path = join(dir, 'state.db');
  const reader = openStateStore({ path });
  const writer = openStateStore({ path });
  const seen: string[][] = [];
  const follower = followState({
    store: reader,
    stack: () => 's',
    intervalMs: 50,
    build: (records) => upstreamsFromRecords(records, { config }).upstreams,
    apply: async (specs: UpstreamSpec[]) => void seen.push(specs.map((s) => s.name)),
  });
  try {
    await follower.refresh();
    assert.equal(seen, [[]]);
    writer.putRuntime(rec('web', { endpoint: { transport: 'streamable-http', url: 'http://127.0.0.1:1/mcp' } }));
    // The follower's own 50 ms poll must notice the other connection's commit (no refresh here).
    await until(() => seen.length >= 2, 60_000, 'the follower to apply the new runtime', 20);
    assert.equal(seen, [[], ['web']]);
    await follower.refresh();
    assert.is(seen.length, 2, 'an unchanged upstream set is not re-applied');
    writer.deleteRuntime('s', 'runtime.web');
    await until(() => seen.length >= 3, 60_000, 'the follower to apply the removal', 20);
    assert.equal(seen, [[], ['web'], []]);
  } finally {
    follower.stop();
    reader.close();
    writer.close();
  }
});

test('auth: default token generated once (0600), env wins, tokens_file, none', () => {
  const g = (auth: unknown) => ({ dir, gateway: { auth } }) as unknown as Pick<LoadedConfig, 'dir' | 'gateway'>;
  const first = resolveGatewayAuth(g(undefined), {});
  assert.is(first.value!.source, 'generated');
  const file = tokenFilePath(dir);
  assert.is(statSync(file).mode & 0o777, 0o600);
  const token = readFileSync(file, 'utf8').trim();
  assert.equal(first.value!.auth, { mode: 'token', tokens: [token] });
  const again = resolveGatewayAuth(g(undefined), {});
  assert.equal([again.value!.source, again.value!.auth], ['file', { mode: 'token', tokens: [token] }]);
  const env = resolveGatewayAuth(g(undefined), { CONTEXTFORGE_GATEWAY_TOKEN: 'from-env-token' });
  assert.equal(env.value!.auth, { mode: 'token', tokens: ['from-env-token'] });
  writeFileSync(join(dir, 'tokens.txt'), '# team tokens\nalpha-token\n\nbeta-token\n');
  const listed = resolveGatewayAuth(
    g({ tokens: ['inline-token'], tokens_file: 'tokens.txt', jwt_secret: 'jwt-secret-value' }),
    {},
  );
  assert.equal(listed.value!.auth, {
    mode: 'token',
    tokens: ['inline-token', 'alpha-token', 'beta-token'],
    jwtSecret: 'jwt-secret-value',
  });
  const missing = resolveGatewayAuth(g({ tokens_file: 'nope.txt' }), {});
  assert.is(missing.value, undefined);
  assert.is(missing.diags[0].code, 'gateway.auth-file');
  assert.equal(resolveGatewayAuth(g('none'), {}).value!.auth, { mode: 'none' });
  assert.ok(existsSync(file));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
