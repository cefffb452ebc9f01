// The docker-attach connector against the real engine: the everything fixture image run with
// CMD stdio (OpenStdin, StdinOnce false, Tty false) served through the gateway; a second attach
// after a session replacement reaches the same container; a stopped container reports why.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createGateway, dockerAttachConnector, type Gateway } from '../../src/gateway/index.js';
import { docker, removeByLabel, requireDocker, testLabels, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { EVERYTHING, EVERYTHING_IMAGE, ensureFixtureImages } from '../support/images.js';
import { connectClient, quietLogger, text, waitFor } from './support/upstreams.js';

const runId = uniqueName('gw-attach');
const TOKEN = `tok-${runId}`;
let enabled = false;
let gw: Gateway | undefined;
let base = '';
let containerId = '';

test.before(async () => {
  enabled = await requireDocker('gateway docker attach');
  if (!enabled) return;
  await ensureFixtureImages();
  const c = await docker().createContainer({
    name: runId,
    Image: EVERYTHING_IMAGE,
    Cmd: [...EVERYTHING.stdio.cmd],
    OpenStdin: true,
    AttachStdin: true,
    StdinOnce: false,
    Tty: false,
    Labels: testLabels(runId),
    HostConfig: { NetworkMode: 'none' },
  });
  containerId = c.id;
  await c.start();
  gw = createGateway({
    port: 0,
    auth: { mode: 'token', tokens: [TOKEN] },
    logger: quietLogger(),
    backoff: { initialMs: 100, maxMs: 500 },
  });
  base = (await gw.start()).url;
});

test.after(async () => {
  await gw?.stop();
  if (enabled) await removeByLabel(testLabels(runId));
});

test('MCP over docker attach: tools listed and called through the gateway', async () => {
  if (!enabled) return skip('the Docker daemon does not answer');
  await gw!.setUpstreams([
    {
      name: 'boxed',
      transport: 'stdio',
      stdio: dockerAttachConnector({ docker: docker(), containerId }),
      specHash: '1',
    },
  ]);
  assert.ok(await gw!.settled(30_000));
  assert.is(gw!.status()[0].state, 'connected', gw!.status()[0].lastError);
  const client = await connectClient(`${base}/mcp`, TOKEN);
  try {
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('boxed__echo'), names.join(','));
    assert.is(
      text(await client.callTool({ name: 'boxed__echo', arguments: { message: 'from a container' } })),
      'Echo: from a container',
    );
    assert.match(text(await client.callTool({ name: 'boxed__get-sum', arguments: { a: 5, b: 6 } })), 'is 11');
    // Many calls share the one attach session.
    const many = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.callTool({ name: 'boxed__echo', arguments: { message: `m${i}` } })),
    );
    assert.equal(
      many.map(text),
      Array.from({ length: 20 }, (_, i) => `Echo: m${i}`),
    );
  } finally {
    await client.close();
  }
});

test('a replaced session re-attaches to the same running container', async () => {
  if (!enabled) return skip('the Docker daemon does not answer');
  await gw!.setUpstreams([
    {
      name: 'boxed',
      transport: 'stdio',
      stdio: dockerAttachConnector({ docker: docker(), containerId }),
      specHash: '2',
    },
  ]);
  await waitFor(() => gw!.status()[0]?.state === 'connected', 20_000, 're-attach');
  assert.is(
    (await docker().getContainer(containerId).inspect()).State.Running,
    true,
    'closing the attach left the container running',
  );
  const client = await connectClient(`${base}/servers/boxed/mcp`, TOKEN);
  try {
    assert.is(text(await client.callTool({ name: 'echo', arguments: { message: 'again' } })), 'Echo: again');
  } finally {
    await client.close();
  }
});

test('a second attacher to the same container is refused, never mixed in', async () => {
  if (!enabled) return skip('the Docker daemon does not answer');
  await waitFor(() => gw!.status()[0]?.state === 'connected', 20_000, 'attached');
  const second = dockerAttachConnector({ docker: docker(), containerId });
  assert.is(second.singleSession, true, 'docker attach reaches one shared server');
  const err = await second.connect().then(
    () => undefined,
    (e: Error) => e,
  );
  assert.ok(err, 'the second attach was refused');
  assert.match(err!.message, /already attached by gateway process \d+; its stdio server has one stdin/);
});

test('a stopped container marks the upstream failed with a reason; calls fail clearly', async () => {
  if (!enabled) return skip('the Docker daemon does not answer');
  await docker().getContainer(containerId).kill();
  await waitFor(
    () => gw!.status()[0]?.state === 'failed' && /not running|closed/i.test(gw!.status()[0]?.lastError ?? ''),
    20_000,
    'failed state',
  );
  const client = await connectClient(`${base}/mcp`, TOKEN);
  try {
    const r = await client.callTool({ name: 'boxed__echo', arguments: { message: 'x' } });
    assert.is(r.isError, true);
    assert.match(text(r), "Runtime 'boxed' is unavailable");
  } finally {
    await client.close();
  }
});

test.run();
