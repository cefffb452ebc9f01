// A call whose upstream cannot be reached (its recorded endpoint refuses: a state record behind
// the backend) waits for the host's lookup (resolveUnreachable) and, when the upstream is
// replaced at another endpoint, is delivered there once; when the lookup finds nothing new, the
// call fails as before with the same message. Real Streamable HTTP MCP servers, the real gateway
// and the real MCP SDK client; the hook is the host seam itself, played by the test.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { connectClient, quietLogger, startControlledServer, text, type ControlledServer } from './support/upstreams.js';

const TOKEN = `tok-${Math.random().toString(36).slice(2)}`;
let oldServer: ControlledServer;
let newServer: ControlledServer;
let gw: Gateway;
let client: Client;
/** Where the lookup finds the runtime now; undefined: nothing new. */
let liveUrl: string | undefined;
const lookups: string[] = [];

test.before(async () => {
  [oldServer, newServer] = await Promise.all([startControlledServer(), startControlledServer()]);
  gw = createGateway({
    port: 0,
    auth: { mode: 'token', tokens: [TOKEN] },
    logger: quietLogger(),
    // Neither a ping nor the reconnect loop may find the move first: only the call's lookup.
    pingIntervalMs: 0,
    backoff: { initialMs: 600_000, maxMs: 600_000 },
    resolveUnreachable: async (runtime) => {
      lookups.push(runtime);
      if (liveUrl)
        await gw.setUpstreams([{ name: 'rt', transport: 'streamable-http', url: liveUrl, specHash: liveUrl }]);
    },
  });
  const base = (await gw.start()).url;
  await gw.setUpstreams([{ name: 'rt', transport: 'streamable-http', url: oldServer.url, specHash: oldServer.url }]);
  await gw.settled();
  client = await connectClient(`${base}/mcp`, TOKEN);
});

test.after(async () => {
  await client.close();
  await gw.stop();
  await Promise.all([oldServer.close(), newServer.close()]);
});

const echo = (message: string): ReturnType<Client['callTool']> =>
  client.callTool({ name: 'rt__echo', arguments: { message } });

test('a call to an upstream that refuses is delivered where the lookup finds the runtime', async () => {
  assert.is(text(await echo('before')), 'echo: before');
  assert.is(lookups.length, 0);
  // The runtime moved: the old endpoint refuses connections, the lookup names the new one.
  await oldServer.close();
  liveUrl = newServer.url;
  const r = await echo('first');
  assert.not.ok(r.isError, text(r));
  assert.is(text(r), 'echo: first');
  assert.equal(lookups, ['rt'], 'one lookup, made by the call');
  // The replacement serves the next calls with no further lookup.
  assert.is(text(await echo('second')), 'echo: second');
  assert.equal(lookups, ['rt']);
});

test('a lookup that finds nothing new fails the call as before', async () => {
  await newServer.close();
  liveUrl = undefined;
  const r = await echo('gone');
  assert.ok(r.isError, 'the call fails');
  assert.match(text(r), /Runtime 'rt' is unavailable: .*The gateway reconnects automatically; retry later\./);
  assert.equal(lookups, ['rt', 'rt'], 'the failing call asked once');
});

test.run();
