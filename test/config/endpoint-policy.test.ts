// The endpoint policy decides alone which hosts may receive credentials: vendor hosts over https,
// exactly 127.0.0.1/::1/localhost, and the operator's allow-list; everything else is refused,
// and the config check names the key, the host and how an operator allows it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decideEndpoint, parseAllowList } from '../../src/config/endpoint-policy.js';
import { loadConfig } from '../../src/config/index.js';

test('vendor hosts over https, exact loopback names and local paths are allowed without a list', () => {
  assert.ok(decideEndpoint('iam_url', 'https://iam.cloud.ibm.com', []).allowed);
  assert.ok(decideEndpoint('service_url', 'https://api.eu-de.codeengine.cloud.ibm.com/v2', []).allowed);
  assert.ok(decideEndpoint('github.base_url', 'https://github.com', []).allowed);
  assert.ok(decideEndpoint('github.base_url', 'git@github.com:org/x.git', []).allowed);
  assert.ok(decideEndpoint('github.base_url', 'repos', []).allowed, 'a local directory sends nothing anywhere');
  assert.ok(decideEndpoint('github.base_url', 'file:///srv/git', []).allowed);
  for (const h of ['http://127.0.0.1:9', 'http://localhost:9', 'http://[::1]:9'])
    assert.ok(decideEndpoint('iam_url', h, []).allowed, h);
});

test('everything else is refused unless the operator lists it', () => {
  const refused = [
    ['iam_url', 'http://iam.cloud.ibm.com'],
    ['iam_url', 'https://iam.cloud.ibm.com.evil.example'],
    ['iam_url', 'http://127.0.0.2:8080'],
    ['service_url', 'https://cloud.ibm.com.example.net/v2'],
    ['docker.host', 'tcp://10.0.0.5:2375'],
    ['github.base_url', 'https://git.example.net'],
    ['github.base_url', 'git@git.example.net:org/x.git'],
    ['webhook_url', 'https://hooks.example.com/x'],
  ] as const;
  for (const [key, url] of refused) assert.is(decideEndpoint(key, url, []).allowed, false, `${key} ${url}`);
  const allow = parseAllowList('127.0.0.2:8080, *.example.net https://hooks.example.com/ignored/path');
  assert.equal(allow, ['127.0.0.2:8080', '*.example.net', 'hooks.example.com']);
  assert.ok(decideEndpoint('iam_url', 'http://127.0.0.2:8080', allow).allowed);
  assert.is(
    decideEndpoint('iam_url', 'http://127.0.0.2:8081', allow).allowed,
    false,
    'host:port entries bind the port',
  );
  assert.ok(decideEndpoint('github.base_url', 'https://git.example.net', allow).allowed);
  assert.ok(decideEndpoint('webhook_url', 'https://hooks.example.com/x', allow).allowed);
  assert.is(
    decideEndpoint('webhook_url', 'https://example.net/x', allow).allowed,
    false,
    '*.example.net does not match example.net',
  );
});

test('the config check names each refused key and the operator-side fix', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cf-endpoint-cfg-'));
  try {
    writeFileSync(
      join(dir, 'contextforge.yaml'),
      [
        'name: endpoints',
        'backends:',
        '  remote: { type: docker, host: "tcp://10.1.2.3:2375" }',
        'github: { base_url: "https://git.example.net", token: "tok-1234567890" }',
        'approval:',
        '  notification: { webhook_url: "https://hooks.example.com/x" }',
        'catalog:',
        '  - name: Hosted',
        '    slug: hosted',
        '    supported_backends: [process]',
        '    source: { type: remote, url: "https://mcp.example.net/mcp", headers: { Authorization: "Bearer {TOKEN}" } }',
        '    transport: { type: streamable-http }',
        '    env: { TOKEN: { secret: true } }',
        '  - name: Open',
        '    slug: open',
        '    supported_backends: [process]',
        '    source: { type: remote, url: "https://public.example.org/mcp" }',
        '    transport: { type: streamable-http }',
        '',
      ].join('\n'),
    );
    const r = await loadConfig(join(dir, 'contextforge.yaml'), { env: {}, dotenv: false });
    const refused = r.diags.filter((d) => d.code === 'endpoint.not-allowed');
    assert.equal(refused.map((d) => d.pointer).sort(), [
      '/approval/notification/webhook_url',
      '/backends/remote/host',
      '/catalog/0/source/url',
      '/github/base_url',
    ]);
    for (const d of refused) {
      assert.match(d.detail ?? '', 'CONTEXTFORGE_ALLOWED_ENDPOINTS=');
      assert.match(d.detail ?? '', '--allow-endpoint');
      assert.ok(d.range && d.range.start.line > 1, 'points at the line');
    }
    assert.is(r.value, undefined, 'the config is not usable');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
