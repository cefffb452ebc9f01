// Federation through the gateway against real upstreams: server-everything over Streamable
// HTTP, SSE and stdio, federated at /mcp, per runtime at /servers/<name>/mcp, a virtual server,
// legacy SSE downstream, prompts, resources and /metrics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { createGateway, spawnStdioConnector, TOOL_NAME_PATTERN, type Gateway } from '../../src/gateway/index.js';
import {
  EVERYTHING,
  connectClient,
  quietLogger,
  spawnEverything,
  text,
  type EverythingProcess,
} from './support/upstreams.js';

const TOKEN = `t-${Math.random().toString(36).slice(2)}`;
let http: EverythingProcess;
let sse: EverythingProcess;
let gw: Gateway;
let base = '';
const clients: Client[] = [];

test.before(async () => {
  [http, sse] = await Promise.all([spawnEverything('streamableHttp'), spawnEverything('sse')]);
  gw = createGateway({
    port: 0,
    auth: { mode: 'token', tokens: [TOKEN] },
    logger: quietLogger(),
    virtualServers: [
      {
        name: 'echoes',
        description: 'Echo tools only.',
        tools: ['*__echo'],
        prompts: ['alpha__simple-*'],
        resources: ['demo://resource/static/*'],
      },
      { name: 'just-beta', runtimes: ['beta'], tools: ['gamma__get-sum'] },
    ],
  });
  base = (await gw.start()).url;
  await gw.setUpstreams([
    { name: 'alpha', transport: 'streamable-http', url: http.url, specHash: '1' },
    { name: 'beta', transport: 'sse', url: sse.url, specHash: '1' },
    {
      name: 'gamma',
      transport: 'stdio',
      stdio: spawnStdioConnector({ command: process.execPath, args: [EVERYTHING, 'stdio'] }),
      specHash: '1',
    },
  ]);
  assert.ok(await gw.settled(30_000), 'upstreams settled');
});

test.after(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await gw.stop();
  await Promise.all([http.kill(), sse.kill()]);
});

async function client(path: string): Promise<Client> {
  const c = await connectClient(`${base}${path}`, TOKEN);
  clients.push(c);
  return c;
}

test('every upstream is connected', () => {
  const st = gw.status();
  assert.equal(
    st.map((s) => [s.name, s.state]),
    [
      ['alpha', 'connected'],
      ['beta', 'connected'],
      ['gamma', 'connected'],
    ],
    JSON.stringify(st),
  );
});

test('federated tool names are prefixed, valid, and cover all three upstreams', async () => {
  const c = await client('/mcp');
  const { tools } = await c.listTools();
  const names = tools.map((t) => t.name);
  for (const rt of ['alpha', 'beta', 'gamma']) {
    assert.ok(names.includes(`${rt}__echo`), `${rt}__echo in ${names.join(',')}`);
    assert.ok(names.includes(`${rt}__get-sum`), `${rt}__get-sum listed`);
  }
  for (const n of names) assert.match(n, TOOL_NAME_PATTERN);
  assert.is(new Set(names).size, names.length, 'names unique');
});

test('tool calls route to each upstream transport with correct results', async () => {
  const c = await client('/mcp');
  for (const rt of ['alpha', 'beta', 'gamma']) {
    const r = await c.callTool({ name: `${rt}__echo`, arguments: { message: `hi ${rt}` } });
    assert.is(r.isError, undefined);
    assert.match(text(r), `hi ${rt}`);
    const sum = await c.callTool({ name: `${rt}__get-sum`, arguments: { a: 19, b: 23 } });
    assert.match(text(sum), '42');
  }
});

test('unknown tool is a JSON-RPC error naming the tool', async () => {
  const c = await client('/mcp');
  try {
    await c.callTool({ name: 'nope__echo', arguments: {} });
    assert.unreachable('should throw');
  } catch (e) {
    assert.match((e as Error).message, "Unknown tool 'nope__echo'");
    // One "MCP error <code>:" prefix, not the gateway's plus the client's (issue 19).
    assert.ok((e as Error).message.startsWith("MCP error -32602: Unknown tool 'nope__echo'"), (e as Error).message);
  }
});

test("an upstream's error reaches the client with one MCP error prefix", async () => {
  const c = await client('/mcp');
  try {
    // args-prompt requires `city`: the upstream answers InvalidParams.
    await c.getPrompt({ name: 'gamma__args-prompt', arguments: {} });
    assert.unreachable('should throw');
  } catch (e) {
    const message = (e as Error).message;
    assert.match(message, /^MCP error -?\d+: /);
    assert.is(message.match(/MCP error/g)?.length, 1, message);
  }
});

test('prompts are federated and routed', async () => {
  const c = await client('/mcp');
  const { prompts } = await c.listPrompts();
  const names = prompts.map((p) => p.name);
  assert.ok(names.includes('alpha__simple-prompt') && names.includes('gamma__args-prompt'), names.join(','));
  const p = await c.getPrompt({ name: 'gamma__args-prompt', arguments: { city: 'Zurich', state: 'ZH' } });
  assert.match(JSON.stringify(p.messages), 'Zurich');
});

test('resources: identical URIs across upstreams are marked per runtime, and reads route', async () => {
  const c = await client('/mcp');
  const { resources } = await c.listResources();
  const uris = resources.map((r) => r.uri);
  // All three upstreams expose the same static documents, so each copy carries its runtime marker.
  const marked = uris.filter((u) => u.startsWith('cf-beta+demo://resource/static/'));
  assert.ok(marked.length > 0, uris.slice(0, 5).join(','));
  assert.not.ok(uris.includes(marked[0].slice('cf-beta+'.length)), 'colliding URI not exposed unmarked');
  const read = await c.readResource({ uri: marked[0] });
  assert.is(read.contents[0].uri, marked[0]);
  assert.ok(('text' in read.contents[0] && read.contents[0].text) || 'blob' in read.contents[0]);
  const { resourceTemplates } = await c.listResourceTemplates();
  const tpl = resourceTemplates.map((t) => t.uriTemplate);
  assert.ok(
    tpl.some((t) => t.startsWith('cf-alpha+demo://resource/dynamic/text/')),
    tpl.join(','),
  );
  const dyn = await c.readResource({ uri: 'cf-gamma+demo://resource/dynamic/text/7' });
  assert.match(JSON.stringify(dyn.contents), 'Resource 7');
});

test('/servers/<runtime>/mcp serves one runtime with its own names', async () => {
  const c = await client('/servers/beta/mcp');
  assert.ok(c.getInstructions(), "the runtime's own instructions are passed on");
  const names = (await c.listTools()).tools.map((t) => t.name);
  assert.ok(names.includes('echo') && !names.some((n) => n.includes('__')), names.join(','));
  assert.match(text(await c.callTool({ name: 'echo', arguments: { message: 'direct' } })), 'direct');
  const { resources } = await c.listResources();
  assert.ok(
    resources.some((r) => r.uri.startsWith('demo://resource/static/')),
    'unmarked URIs',
  );
  const read = await c.readResource({ uri: 'demo://resource/dynamic/text/3' });
  assert.match(JSON.stringify(read.contents), 'Resource 3');
});

test('virtual server exposes only what its globs select', async () => {
  const c = await client('/servers/echoes/mcp');
  const names = (await c.listTools()).tools.map((t) => t.name).sort();
  assert.equal(names, ['alpha__echo', 'beta__echo', 'gamma__echo']);
  assert.match(text(await c.callTool({ name: 'gamma__echo', arguments: { message: 'virt' } })), 'virt');
  const prompts = (await c.listPrompts()).prompts.map((p) => p.name);
  assert.equal(prompts, ['alpha__simple-prompt']);
  try {
    await c.callTool({ name: 'alpha__get-sum', arguments: { a: 1, b: 2 } });
    assert.unreachable('tool outside the virtual server must not be callable');
  } catch (e) {
    assert.match((e as Error).message, 'Unknown tool');
  }
});

test('virtual server with whole runtimes plus a glob; description becomes instructions', async () => {
  const c = await client('/servers/just-beta/mcp');
  const names = (await c.listTools()).tools.map((t) => t.name);
  assert.ok(names.includes('beta__echo') && names.includes('gamma__get-sum'), names.join(','));
  assert.not.ok(
    names.some((n) => n.startsWith('alpha__') || n === 'gamma__echo'),
    names.join(','),
  );
  assert.ok((await c.listPrompts()).prompts.every((p) => p.name.startsWith('beta__')));
  const echoes = await client('/servers/echoes/mcp');
  assert.is(echoes.getInstructions(), 'Echo tools only.');
});

test('argument completion is routed for prompts and resource templates', async () => {
  const c = await client('/mcp');
  const p = await c.complete({
    ref: { type: 'ref/prompt', name: 'alpha__completable-prompt' },
    argument: { name: 'department', value: 'E' },
  });
  assert.equal(p.completion.values, ['Engineering']);
  const dep = await c.complete({
    ref: { type: 'ref/prompt', name: 'gamma__completable-prompt' },
    argument: { name: 'name', value: '' },
    context: { arguments: { department: 'Sales' } },
  });
  assert.equal(dep.completion.values, ['David', 'Eve', 'Frank']);
  const none = await c.complete({ ref: { type: 'ref/prompt', name: 'nope__x' }, argument: { name: 'a', value: '' } });
  assert.equal(none.completion.values, []);
  const tpl = (await c.listResourceTemplates()).resourceTemplates.find((t) => t.uriTemplate.startsWith('cf-beta+'));
  assert.ok(tpl, 'a marked template');
  const r = await c.complete({
    ref: { type: 'ref/resource', uri: tpl!.uriTemplate },
    argument: { name: 'resourceId', value: '1' },
  });
  assert.ok(r.completion.values.length > 0 && r.completion.values.every((v) => v.startsWith('1')), JSON.stringify(r));
});

test('unknown /servers/<name> is a 404', async () => {
  const r = await fetch(`${base}/servers/nope/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: '{}',
  });
  assert.is(r.status, 404);
  await r.body?.cancel();
});

test('legacy HTTP+SSE downstream works (federated and per runtime)', async () => {
  const headers = { Authorization: `Bearer ${TOKEN}` };
  const c = new Client({ name: 'legacy', version: '1' }, { capabilities: {} });
  await c.connect(new SSEClientTransport(new URL(`${base}/sse`), { requestInit: { headers } }));
  clients.push(c);
  const names = (await c.listTools()).tools.map((t) => t.name);
  assert.ok(names.includes('beta__echo'));
  assert.match(text(await c.callTool({ name: 'alpha__echo', arguments: { message: 'old client' } })), 'old client');
  const one = new Client({ name: 'legacy1', version: '1' }, { capabilities: {} });
  await one.connect(new SSEClientTransport(new URL(`${base}/servers/gamma/sse`), { requestInit: { headers } }));
  clients.push(one);
  assert.match(text(await one.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } })), '5');
});

test('/metrics exposes calls, errors, latency, health, in-flight and queue depth', async () => {
  const r = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.is(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', 'text/plain');
  const body = await r.text();
  assert.match(body, /contextforge_gateway_calls_total\{runtime="alpha",kind="tool",name="echo",outcome="ok"\} \d+/);
  assert.match(
    body,
    /contextforge_gateway_call_duration_seconds_bucket\{runtime="gamma",kind="tool",name="get-sum",le="\+Inf"\} \d+/,
  );
  assert.match(body, /contextforge_gateway_call_duration_seconds_count\{runtime="beta",kind="tool",name="echo"\} \d+/);
  assert.match(body, /contextforge_gateway_upstream_up\{runtime="beta",transport="sse"\} 1/);
  assert.match(body, /contextforge_gateway_inflight_requests\{runtime="alpha"\} 0/);
  assert.match(body, /contextforge_gateway_queue_depth\{runtime="alpha"\} 0/);
  assert.match(body, /# TYPE contextforge_gateway_call_errors_total counter/);
  assert.match(body, /contextforge_gateway_downstream_sessions\{transport="sse"\} [1-9]/);
});

test('/healthz and /readyz answer without a token; /readyz lists upstreams only with one', async () => {
  const h = await fetch(`${base}/healthz`);
  assert.is(h.status, 200);
  await h.body?.cancel();
  const anon = await fetch(`${base}/readyz`);
  assert.is(anon.status, 200);
  assert.equal(await anon.json(), { ready: true });
  const r = await fetch(`${base}/readyz`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.is(r.status, 200);
  const body = (await r.json()) as { ready: boolean; upstreams: unknown[] };
  assert.is(body.ready, true);
  assert.is(body.upstreams.length, 3);
});

test.run();
