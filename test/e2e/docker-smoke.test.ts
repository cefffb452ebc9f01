// Proves the Docker engine CI uses really runs MCP servers: the everything fixture is started
// with its port published on 127.0.0.1 (host port chosen by Docker), reached over Streamable
// HTTP and legacy SSE with the real SDK client, and everything it created is removed by label.
// It also pushes a fixture image to a local docker-registry and pulls it back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  TEST_LABEL,
  docker,
  publishedPort,
  removeByLabel,
  requireDocker,
  testLabels,
  uniqueName,
} from '../support/docker.js';
import { BUSYBOX_IMAGE, EVERYTHING, EVERYTHING_IMAGE, ensureFixtureImages } from '../support/images.js';
import { waitForMcp } from '../support/mcp.js';
import { requireRegistry, startRegistry } from '../support/registry.js';

const SUITE = 'docker-smoke';
const runId = uniqueName(SUITE);
const labels = testLabels(runId);
const clients: Client[] = [];

interface TextResult {
  content?: Array<{ type: string; text?: string }>;
  isError?: boolean;
}

function textOf(result: unknown): string {
  const r = result as TextResult;
  assert.not.ok(r.isError, `tool returned an error: ${JSON.stringify(r)}`);
  const texts = (r.content ?? []).filter((c) => c.type === 'text').map((c) => c.text ?? '');
  return texts.join('\n');
}

/** Starts the everything server with `cmd` and returns the 127.0.0.1 host port Docker chose. */
async function startEverything(cmd: readonly string[], suffix: string): Promise<number> {
  const portKey = `${EVERYTHING.port}/tcp`;
  const container = await docker().createContainer({
    name: `${runId}-${suffix}`,
    Image: EVERYTHING_IMAGE,
    Cmd: [...cmd],
    Labels: labels,
    ExposedPorts: { [portKey]: {} },
    HostConfig: { PortBindings: { [portKey]: [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  await container.start();
  return publishedPort(container.id, EVERYTHING.port);
}

/** Reads a push/pull progress stream to its end; rejects on an error event in the stream. */
function drain(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    docker().modem.followProgress(stream, (err: Error | null, events: Array<{ error?: string }>) => {
      const failed = events?.find((e) => e.error);
      if (err) reject(err);
      else if (failed) reject(new Error(failed.error));
      else resolve();
    });
  });
}

if (await requireDocker(SUITE)) {
  test.before(async () => {
    await ensureFixtureImages();
  });

  test.after(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await removeByLabel(labels);
  });

  test('everything server over Streamable HTTP: tools/list, echo, get-sum', async () => {
    const port = await startEverything(EVERYTHING.streamableHttp.cmd, 'http');
    assert.ok(port > 0 && port < 65536, `host port ${port}`);
    const client = await waitForMcp(`http://127.0.0.1:${port}${EVERYTHING.streamableHttp.path}`, 30_000);
    clients.push(client);
    assert.is(client.getServerVersion()?.name, 'mcp-servers/everything');

    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    assert.ok(names.includes(EVERYTHING.tools.echo), `echo missing from ${names.join(', ')}`);
    const sum = tools.find((t) => t.name === EVERYTHING.tools.sum);
    assert.ok(sum, `${EVERYTHING.tools.sum} missing from ${names.join(', ')}`);
    assert.equal(Object.keys(sum.inputSchema.properties ?? {}).sort(), ['a', 'b']);

    const message = `hello from ${runId}`;
    const echoed = await client.callTool({ name: EVERYTHING.tools.echo, arguments: { message } });
    assert.is(textOf(echoed), `Echo: ${message}`);

    const added = await client.callTool({ name: EVERYTHING.tools.sum, arguments: { a: 17, b: 25 } });
    assert.is(textOf(added), 'The sum of 17 and 25 is 42.');
  });

  test('everything server over legacy SSE answers echo', async () => {
    const port = await startEverything(EVERYTHING.sse.cmd, 'sse');
    const client = await waitForMcp(`http://127.0.0.1:${port}${EVERYTHING.sse.path}`, 30_000, { transport: 'sse' });
    clients.push(client);
    const echoed = await client.callTool({ name: EVERYTHING.tools.echo, arguments: { message: 'over sse' } });
    assert.is(textOf(echoed), 'Echo: over sse');
  });

  test('removeByLabel removes exactly what this run created', async () => {
    const other = testLabels(uniqueName('docker-smoke-other'));
    const keep = await docker().createContainer({ Image: EVERYTHING_IMAGE, Labels: other });
    try {
      const filters = JSON.stringify({ label: [`${TEST_LABEL}=${runId}`] });
      const before = await docker().listContainers({ all: true, filters });
      assert.is(before.length, 2, 'both everything containers of this run exist');
      await Promise.allSettled(clients.splice(0).map((c) => c.close()));
      const removed = await removeByLabel(labels);
      assert.is(removed.containers, 2);
      const after = await docker().listContainers({ all: true, filters });
      assert.is(after.length, 0);
      const survivor = await docker().getContainer(keep.id).inspect();
      // Containers also inherit the image's labels, so compare only the test label.
      assert.equal(survivor.Config.Labels[TEST_LABEL], other[TEST_LABEL], 'a container of another run is untouched');
    } finally {
      await removeByLabel(other);
    }
  });

  if (requireRegistry(SUITE)) {
    test('a fixture image survives a push to and pull from a local registry', async () => {
      const registry = await startRegistry();
      const repo = `${registry.host}/cf-smoke/${runId}`;
      const tag = 'v1';
      const ref = `${repo}:${tag}`;
      try {
        const original = await docker().getImage(BUSYBOX_IMAGE).inspect();
        await docker().getImage(BUSYBOX_IMAGE).tag({ repo, tag });
        await drain(await docker().getImage(ref).push({ authconfig: {} }));
        await docker().getImage(ref).remove();
        await drain(await docker().pull(ref, { authconfig: {} }));
        const pulled = await docker().getImage(ref).inspect();
        assert.is(pulled.Id, original.Id, 'the pulled image is the pushed one');
        assert.ok(
          pulled.RepoDigests.some((d) => d.startsWith(`${repo}@sha256:`)),
          'it came from the registry',
        );
      } finally {
        await docker()
          .getImage(ref)
          .remove()
          .catch(() => undefined);
        await registry.stop();
      }
    });
  } else {
    test.skip('a fixture image survives a push to and pull from a local registry (docker-registry missing)', () =>
      undefined);
  }
} else {
  test.skip('everything server in Docker (Docker unavailable)', () => undefined);
}

test.run();
