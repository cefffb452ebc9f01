// Issue 10: the whole MCP protocol relayed per downstream session. server-everything runs behind
// the gateway twice (in a Docker container, each gateway session getting its own `docker exec`
// server, and as a Streamable HTTP child); an SDK client that implements sampling, elicitation
// and roots gets each server-to-client request, its log level reaches the upstream, log messages
// come back tagged with the runtime, and a subscription delivers resources/updated. A second
// client without those capabilities gets a clean error in the tool result, and sees none of the
// first client's traffic. Closing the clients ends their exec'd servers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { createGateway, dockerExecConnector, type Gateway, type UpstreamSpec } from '../../src/gateway/index.js';
import { docker, removeByLabel, requireDocker, testLabels, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { EVERYTHING, EVERYTHING_IMAGE, ensureFixtureImages } from '../support/images.js';
import { quietLogger, spawnEverything, text, waitFor, type EverythingProcess } from './support/upstreams.js';

const runId = uniqueName('gw-relay');
const TOKEN = `tok-${runId}`;
let haveDocker = false;
let gw: Gateway;
let base = '';
let ev: EverythingProcess;
const execIds: string[] = [];

test.before(async () => {
  haveDocker = await requireDocker('gateway protocol relay over docker exec');
  ev = await spawnEverything('streamableHttp');
  const specs: UpstreamSpec[] = [
    { name: 'evhttp', transport: 'streamable-http', url: ev.url, specHash: '1', callTimeoutMs: 60_000 },
  ];
  if (haveDocker) {
    await ensureFixtureImages();
    const c = await docker().createContainer({
      name: runId,
      Image: EVERYTHING_IMAGE,
      Cmd: [...EVERYTHING.stdio.cmd],
      OpenStdin: true,
      StdinOnce: false,
      Tty: false,
      Labels: testLabels(runId),
      HostConfig: { NetworkMode: 'none' },
    });
    await c.start();
    specs.push({
      name: 'evbox',
      transport: 'stdio',
      stdio: dockerExecConnector({ docker: docker(), containerId: c.id, onExec: (id) => void execIds.push(id) }),
      specHash: '1',
      callTimeoutMs: 60_000,
    });
  }
  gw = createGateway({ port: 0, auth: { mode: 'token', tokens: [TOKEN] }, logger: quietLogger() });
  base = (await gw.start()).url;
  await gw.setUpstreams(specs);
  assert.ok(await gw.settled(60_000));
  for (const s of gw.status()) assert.is(s.state, 'connected', `${s.name}: ${s.lastError}`);
});

test.after(async () => {
  await gw?.stop();
  await ev?.kill();
  if (haveDocker) await removeByLabel(testLabels(runId));
});

interface Seen {
  sampling: number;
  elicitation: number;
  roots: number;
  logs: LoggingMessageNotification['params'][];
  updated: string[];
}

async function capableClient(): Promise<{ client: Client; seen: Seen }> {
  const seen: Seen = { sampling: 0, elicitation: 0, roots: 0, logs: [], updated: [] };
  const client = new Client(
    { name: 'relay-capable', version: '0' },
    { capabilities: { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } } },
  );
  client.setRequestHandler(CreateMessageRequestSchema, (req) => {
    seen.sampling++;
    const first = req.params.messages[0]?.content;
    const asked = first && !Array.isArray(first) && first.type === 'text' ? first.text : '';
    return {
      model: 'relay-test-model',
      role: 'assistant',
      content: { type: 'text', text: `sampled answer to <${asked}>` },
    };
  });
  client.setRequestHandler(ElicitRequestSchema, () => {
    seen.elicitation++;
    return { action: 'accept', content: { name: 'Ada Lovelace', check: true } };
  });
  client.setRequestHandler(ListRootsRequestSchema, () => {
    seen.roots++;
    return { roots: [{ uri: 'file:///srv/relay-client-root', name: 'relay-root' }] };
  });
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void seen.logs.push(n.params));
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void seen.updated.push(n.params.uri));
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
    }),
  );
  return { client, seen };
}

async function plainClient(): Promise<{ client: Client; logs: LoggingMessageNotification['params'][] }> {
  const logs: LoggingMessageNotification['params'][] = [];
  const client = new Client({ name: 'relay-plain', version: '0' });
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params));
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
    }),
  );
  return { client, logs };
}

const logText = (l: LoggingMessageNotification['params']): string =>
  typeof l.data === 'string' ? l.data : JSON.stringify(l.data);

for (const runtime of ['evhttp', 'evbox'] as const) {
  test(`${runtime}: sampling, elicitation, roots, logging and subscriptions reach the right client`, async () => {
    if (runtime === 'evbox' && !haveDocker) return skip('the Docker daemon does not answer');
    const { client, seen } = await capableClient();
    const other = await plainClient();
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name);
      for (const t of [
        'trigger-sampling-request',
        'trigger-elicitation-request',
        'get-roots-list',
        'toggle-subscriber-updates',
      ]) {
        assert.ok(tools.includes(`${runtime}__${t}`), `${runtime}__${t} listed`);
      }

      const sampled = await client.callTool({
        name: `${runtime}__trigger-sampling-request`,
        arguments: { prompt: 'what is 6x7', maxTokens: 20 },
      });
      assert.is(sampled.isError, undefined, text(sampled));
      assert.match(text(sampled), 'relay-test-model');
      assert.match(text(sampled), 'sampled answer to <Resource trigger-sampling-request context: what is 6x7>');
      assert.is(seen.sampling, 1);

      const elicited = await client.callTool({ name: `${runtime}__trigger-elicitation-request`, arguments: {} });
      assert.match(JSON.stringify(elicited.content), 'Name: Ada Lovelace');
      assert.is(seen.elicitation, 1);

      const roots = await client.callTool({ name: `${runtime}__get-roots-list`, arguments: {} });
      assert.match(text(roots), 'file:///srv/relay-client-root');
      assert.ok(seen.roots >= 1, 'roots/list reached the client');

      // logging/setLevel reaches the upstream: at 'error' its info-level notes are not sent.
      // Both runtimes expose the same URIs, so each copy carries its runtime's marker; without
      // Docker evhttp is the only runtime, and its URIs are given as they are.
      const uris = (await client.listResources()).resources.map((r) => r.uri);
      const uri = haveDocker ? uris.find((u) => u.startsWith(`cf-${runtime}+`)) : uris[0];
      assert.ok(uri, 'a resource to subscribe to');
      await client.setLoggingLevel('error');
      await client.unsubscribeResource({ uri });
      await client.setLoggingLevel('debug');
      await client.subscribeResource({ uri });
      await waitFor(
        () => seen.logs.some((l) => logText(l).includes('Received Subscribe Resource request')),
        20_000,
        'subscribe log message',
      );
      assert.not.ok(
        seen.logs.some((l) => logText(l).includes('Received Unsubscribe')),
        'the upstream honoured level error',
      );
      const tagged = seen.logs.find((l) => logText(l).includes('Received Subscribe'))!;
      assert.ok(
        tagged.logger === runtime || tagged.logger?.startsWith(`${runtime}/`),
        `log tagged with the runtime: ${tagged.logger}`,
      );

      const toggled = await client.callTool({ name: `${runtime}__toggle-subscriber-updates`, arguments: {} });
      assert.match(text(toggled), 'Started');
      await waitFor(() => seen.updated.includes(uri), 20_000, 'resources/updated');
      await client.callTool({ name: `${runtime}__toggle-subscriber-updates`, arguments: {} });

      // A client without the capabilities: a clean error in the tool result, not a hang.
      const refused = await other.client.callTool({
        name: `${runtime}__trigger-sampling-request`,
        arguments: { prompt: 'x' },
      });
      assert.is(refused.isError, true, text(refused));
      assert.match(text(refused), /does not support sampling/);
      const refusedElicit = await other.client.callTool({
        name: `${runtime}__trigger-elicitation-request`,
        arguments: {},
      });
      assert.is(refusedElicit.isError, true, text(refusedElicit));
      assert.match(text(refusedElicit), /does not support elicitation/);
      assert.not.ok(
        other.logs.some((l) => logText(l).includes('Received Subscribe')),
        "the other client saw none of the first one's log messages",
      );
      // One upstream session of its own per client session: two clients, two links.
      assert.match(gw.metricsText(), new RegExp(`contextforge_gateway_upstream_links\\{runtime="${runtime}"\\} 2\\b`));
    } finally {
      // DELETE ends the gateway sessions (Client.close alone leaves them to the idle sweep).
      for (const c of [client, other.client]) {
        await (c.transport as StreamableHTTPClientTransport).terminateSession();
        await c.close();
      }
    }
  });
}

test("closing the clients ends their sessions' exec'd servers; the container keeps running", async () => {
  if (!haveDocker) return skip('the Docker daemon does not answer');
  assert.ok(execIds.length >= 3, `one exec for the shared session and one per client session (${execIds.length})`);
  // The shared session's server stays; every client session's server exits after its stdin ends.
  const running = async (): Promise<number> => {
    let n = 0;
    for (const id of execIds) if ((await docker().getExec(id).inspect()).Running) n++;
    return n;
  };
  assert.match(gw.metricsText(), /contextforge_gateway_upstream_links\{runtime="evbox"\} 0/);
  await waitFor(async () => (await running()) === 1, 30_000, "client sessions' servers exited").catch(
    async (e: Error) => {
      const states = await Promise.all(execIds.map(async (id) => (await docker().getExec(id).inspect()).Running));
      throw new Error(`${e.message}: ${await running()} of ${execIds.length} still running (${states.join(',')})`);
    },
  );
  const box = (await docker().listContainers({ filters: JSON.stringify({ name: [runId] }) }))[0];
  assert.ok(box, 'the container is still running');
});

test('with spare, a server is started ahead once several sessions are served, handed out whole and ended on close', async () => {
  if (!haveDocker) return skip('the Docker daemon does not answer');
  const id = (await docker().listContainers({ filters: JSON.stringify({ name: [runId] }) }))[0].Id;
  const started: string[] = [];
  const connector = dockerExecConnector({
    docker: docker(),
    containerId: id,
    spare: true,
    onExec: (x) => void started.push(x),
  });
  const clients: Client[] = [];
  const open = async (): Promise<Client> => {
    const c = new Client({ name: 'spare-test', version: '0' });
    await c.connect(await connector.connect());
    clients.push(c);
    return c;
  };
  for (let i = 0; i < 3; i++) await open();
  await waitFor(() => started.length === 4, 20_000, 'a spare started after the third server');
  const spareId = started[3];
  const fourth = await open();
  assert.is(
    text(await fourth.callTool({ name: 'echo', arguments: { message: 'from the spare' } })),
    'Echo: from the spare',
  );
  await waitFor(() => started.length === 5, 20_000, 'the spare was replaced');
  for (const c of clients) await c.close();
  await connector.close!();
  const exited = async (): Promise<boolean> =>
    (await Promise.all(started.map(async (x) => (await docker().getExec(x).inspect()).Running))).every((r) => !r);
  await waitFor(exited, 30_000, 'every server, the unused spare included, exited');
  assert.ok(started.includes(spareId));
});

test.run();
