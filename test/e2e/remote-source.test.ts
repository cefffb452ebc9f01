// Remote sources end to end with the real CLI: a hosted MCP server (the real SDK over Streamable
// HTTP on 127.0.0.1, run by this test) is declared as `source: {type: remote, url, headers}`
// with its token in a runtime secret. `up` records it (nothing started; plan/apply show it),
// the gateway federates its tools and sends the header filled from the secret, the recorded
// state holds the template, never the token, and destroy removes the record.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { runCli, startUp, type UpRun } from '../support/package-up.js';

const TOKEN = `hosted-${randomUUID()}`;
const seen: string[] = [];
let http: HttpServer | undefined;
let url = '';
let up: UpRun | undefined;

test.before(async () => {
  // Stateless: each request gets its own server and transport, answering in JSON.
  http = createServer((req, res) => {
    seen.push(String(req.headers.authorization ?? '(none)'));
    const server = new Server({ name: 'hosted', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: [
        { name: 'whoami', description: 'The Authorization header it was called with', inputSchema: { type: 'object' } },
      ],
    }));
    server.setRequestHandler(CallToolRequestSchema, () => ({
      content: [{ type: 'text', text: String(req.headers.authorization ?? '(none)') }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => void transport.close());
    void server.connect(transport).then(() => transport.handleRequest(req, res));
  });
  await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
});

test.after(async () => {
  await up?.stop();
  await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
});

const config = (): string =>
  [
    'name: remotesrc',
    'backends:',
    '  local: { type: process }',
    'catalog:',
    '  - name: Hosted',
    '    slug: hosted',
    '    supported_backends: [process, docker]',
    '    source:',
    '      type: remote',
    `      url: ${url}`,
    '      headers:',
    '        Authorization: "Bearer {API_TOKEN}"',
    '    transport: { type: streamable-http }',
    '    guardrails_profile: unrestricted',
    '    env:',
    '      API_TOKEN: { required: true, secret: true }',
    'runtimes:',
    '  - name: hosted',
    '    catalog: hosted',
    '    backend: local',
    `    secrets: { API_TOKEN: ${TOKEN} }`,
    '',
  ].join('\n');

test('up records the hosted server and the gateway federates it with the header from the secret', async () => {
  up = await startUp({ prefix: 'cf-remote-', config });
  assert.match(up.output(), /Apply complete! Resources: 1 created/);
  assert.not.ok(up.output().includes(TOKEN), 'the token is never printed');
  const c = await up.client();
  const names = (await c.listTools()).tools.map((t) => t.name);
  assert.ok(names.includes('hosted__whoami'), names.join(', '));
  const r = await c.callTool({ name: 'hosted__whoami', arguments: {} });
  assert.equal(r.content, [{ type: 'text', text: `Bearer ${TOKEN}` }]);
  assert.ok(seen.length > 0 && seen.every((h) => h === `Bearer ${TOKEN}`), seen.join(' | '));
});

test('the record keeps the template, never the token; the plan is a no-op', async () => {
  const dir = join(up!.dir, '.contextforge', 'remote', 'remotesrc');
  const record = readFileSync(join(dir, 'hosted.json'), 'utf8');
  assert.match(record, 'Bearer {API_TOKEN}');
  assert.not.ok(record.includes(TOKEN));
  for (const f of readdirSync(join(up!.dir, '.contextforge')))
    if (f.startsWith('state.db')) assert.not.ok(readFileSync(join(up!.dir, '.contextforge', f)).includes(TOKEN), f);
  const plan = await runCli(['plan', '--detailed-exitcode', '-f', up!.configFile]);
  assert.is(plan.code, 0, plan.out);
  assert.match(plan.out, /No changes\./);
});

test('destroy removes the record', async () => {
  const file = join(up!.dir, '.contextforge', 'remote', 'remotesrc', 'hosted.json');
  await up!.halt();
  assert.ok(existsSync(file), 'the record outlives up, like a running server');
  const r = await runCli(['destroy', '--auto-approve', '-f', up!.configFile]);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /runtime\.hosted: Destruction complete/);
  assert.not.ok(existsSync(file));
});

test.run();
