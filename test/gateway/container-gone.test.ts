// After a replace or destroy removes a Docker stdio runtime's container, the gateway does not
// keep retrying the old container id: one attempt learns Docker's 404 ("No such container"), the
// upstream then waits for the state, and the next setUpstreams (what the state follower sends
// when apply records the replacement) connects to the new container. Real Docker, real servers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createGateway, dockerExecConnector, type Gateway, type UpstreamSpec } from '../../src/gateway/index.js';
import { docker, removeByLabel, requireDocker, testLabels, uniqueName } from '../support/docker.js';
import { EVERYTHING, EVERYTHING_IMAGE, ensureFixtureImages } from '../support/images.js';
import { skip } from '../support/skip.js';
import { quietLogger, waitFor } from './support/upstreams.js';

const runId = uniqueName('gw-gone');
let gw: Gateway | undefined;
let haveDocker = false;

async function container(suffix: string): Promise<string> {
  const c = await docker().createContainer({
    name: `${runId}-${suffix}`,
    Image: EVERYTHING_IMAGE,
    Cmd: [...EVERYTHING.stdio.cmd],
    OpenStdin: true,
    Labels: testLabels(runId),
  });
  await c.start();
  return c.id;
}

const spec = (containerId: string): UpstreamSpec => ({
  name: 'box',
  transport: 'stdio',
  stdio: dockerExecConnector({ docker: docker(), containerId }),
  specHash: containerId,
  callTimeoutMs: 60_000,
});

test('a removed container is not retried; the replacement from the state is followed', async () => {
  haveDocker = await requireDocker('gateway container gone');
  if (!haveDocker) return skip('the Docker daemon does not answer');
  await ensureFixtureImages();
  const oldId = await container('old');
  const log = quietLogger();
  gw = createGateway({ port: 0, auth: { mode: 'none' }, logger: log, pingIntervalMs: 500 });
  await gw.start();
  await gw.setUpstreams([spec(oldId)]);
  assert.ok(await gw.settled(60_000));
  assert.is(gw.status()[0].state, 'connected', gw.status()[0].lastError);

  // Replace, as apply does it: the old container goes first.
  await docker().getContainer(oldId).remove({ force: true });
  await waitFor(() => /container is gone/.test(gw!.status()[0].lastError ?? ''), 60_000, 'the gone state');
  const status = gw.status()[0];
  assert.is(status.state, 'failed');
  const attempts = (): number => log.lines.filter((l) => /upstream (connection failed|container gone)/.test(l)).length;
  assert.is(attempts(), 1, log.lines.join('\n'));

  // The state names the new container: the gateway follows it.
  const newId = await container('new');
  await gw.setUpstreams([spec(newId)]);
  await waitFor(() => gw!.status()[0].state === 'connected', 60_000, 'the new container connected');
  assert.is(attempts(), 1, `the old id was tried once only:\n${log.lines.join('\n')}`);
});

test.after(async () => {
  await gw?.stop();
  if (haveDocker) await removeByLabel(testLabels(runId));
});

test.run();
