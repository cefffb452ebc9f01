// Compose source on the Docker backend, end to end: an MCP server built from the compose file's
// build context waits for its healthy busybox sidecar, reaches it over the stack's own network,
// is served through the gateway; changing only the sidecar replaces only the sidecar; logs of
// all members carry a service prefix; a Dockerfile edit is planned; destroy keeps the named volume
// (the plan says so) and destroy --delete-volumes leaves no container, network or volume behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { docker, requireDocker } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { ensureFixtureImages } from '../support/images.js';
import { DockerStack, FIXTURES, text } from '../sources/harness.js';

const COMPOSE = fileURLToPath(new URL('../fixtures/compose/mcp-with-sidecar.compose.yaml', import.meta.url));
let enabled = false;

test.before(async () => {
  enabled = await requireDocker('compose source on docker (e2e)');
  if (enabled) await ensureFixtureImages();
});

function stackObjects(stack: string): Promise<[number, number, number]> {
  const filters = JSON.stringify({ label: [`dev.contextforge.stack=${stack}`] });
  return Promise.all([
    docker()
      .listContainers({ all: true, filters })
      .then((l) => l.length),
    docker()
      .listNetworks({ filters })
      .then((l) => l.length),
    docker()
      .listVolumes({ filters })
      .then((l) => (l.Volumes ?? []).length),
  ]);
}

test('compose: dependency order and health, stack network, per-service replace, prefixed logs, clean destroy', async () => {
  if (!enabled) return skip('the Docker daemon does not answer');
  const s = new DockerStack();
  const runtime = `app${s.stack.slice(-6)}`;
  let client: Awaited<ReturnType<DockerStack['client']>> | undefined;
  try {
    mkdirSync(join(s.dir, 'app'));
    cpSync(FIXTURES, join(s.dir, 'app'), { recursive: true });
    const compose = (text: string): void =>
      writeFileSync(
        join(s.dir, 'stack.compose.yaml'),
        readFileSync(COMPOSE, 'utf8').replace('echo SIDECAR_TEXT', `echo ${text}`),
      );
    compose('sidecar-v1');
    await s.load(
      [
        'backends:',
        '  local: { type: docker, allow_local_images: true }',
        'catalog:',
        '  - name: MCP with sidecar',
        `    slug: ${runtime}`,
        '    source: { type: compose, compose_file: stack.compose.yaml, main_service: mcp }',
        '    transport: { type: streamable-http, port: 8080, path: /mcp }',
        'runtimes:',
        `  - name: ${runtime}`,
        `    catalog: ${runtime}`,
        '    backend: local',
        '    guardrails_profile: unrestricted',
        '',
      ].join('\n'),
    );

    const p1 = await s.plan();
    assert.ok(p1.plan, JSON.stringify(p1.diags));
    const c1 = p1.plan!.changes[0];
    assert.is(c1.action, 'create');
    assert.equal(
      c1.fields.map((f) => f.path),
      ['services.sidecar.image', 'services.mcp.image'],
      'members in start order',
    );
    const a1 = await s.apply(p1);
    assert.is(a1.exitCode, 0, `${JSON.stringify(a1.diags)}\n${s.progress.join('\n')}`);
    const waited = s.progress.findIndex((l) => l.includes('service sidecar is healthy'));
    const startedMain = s.progress.findIndex((l) => l.includes('starting service mcp'));
    assert.ok(
      waited >= 0 && startedMain > waited,
      `mcp starts after the sidecar is healthy:\n${s.progress.join('\n')}`,
    );

    const o1 = (await s.backend!.observe(s.stack)).value!.find((o) => o.runtime === runtime)!;
    const members1 = o1.native!.members as Record<string, { id: string }>;
    const [mcpInfo, sideInfo] = await Promise.all([
      docker().getContainer(members1.mcp.id).inspect(),
      docker().getContainer(members1.sidecar.id).inspect(),
    ]);
    assert.is(sideInfo.State.Health?.Status, 'healthy');
    assert.ok(Date.parse(mcpInfo.State.StartedAt) > Date.parse(sideInfo.State.StartedAt), 'sidecar started first');
    for (const info of [mcpInfo, sideInfo]) {
      assert.is(info.HostConfig.Memory, 2048 * 1024 * 1024, `profile memory limit on ${info.Name}`);
      assert.ok(info.HostConfig.SecurityOpt?.includes('no-new-privileges:true'), `no-new-privileges on ${info.Name}`);
      assert.equal(
        Object.keys(info.NetworkSettings.Networks),
        [`contextforge-${s.stack}-${runtime}`],
        'one isolated network per deployment',
      );
    }
    assert.match(o1.endpoint?.url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);

    client = await s.client();
    assert.is(
      text(await client.callTool({ name: `${runtime}__sidecar`, arguments: {} })),
      '200 sidecar-v1',
      'the tool reaches the sidecar over the stack network',
    );
    await client.close();
    client = undefined;

    assert.is((await s.plan()).plan!.changes[0].action, 'noop');

    // The build context is hashed by content (issue 18): an edit of the Dockerfile, with the
    // compose file untouched, plans a change of the built member only (a new image tag).
    const dockerfile = join(s.dir, 'app', 'Dockerfile');
    const original = readFileSync(dockerfile, 'utf8');
    writeFileSync(dockerfile, `${original}\n# edited: the plan must see this\n`);
    const pb = await s.plan();
    const cb = pb.plan!.changes[0];
    assert.is.not(cb.action, 'noop', 'a Dockerfile edit is a change');
    assert.ok(
      cb.fields.length > 0 && cb.fields.every((f) => f.path.startsWith('services.mcp.')),
      JSON.stringify(cb.fields),
    );
    writeFileSync(dockerfile, original);
    assert.is((await s.plan()).plan!.changes[0].action, 'noop', 'the same content is the same plan');

    // Only the sidecar changes: only the sidecar is replaced.
    compose('sidecar-v2');
    const p2 = await s.plan();
    const c2 = p2.plan!.changes[0];
    assert.is(c2.action, 'update');
    assert.is(c2.reason, 'update:compose-services-changed');
    assert.ok(
      c2.fields.length > 0 && c2.fields.every((f) => f.path.startsWith('services.sidecar.')),
      JSON.stringify(c2.fields),
    );
    const a2 = await s.apply(p2);
    assert.is(a2.exitCode, 0, JSON.stringify(a2.diags));
    const o2 = (await s.backend!.observe(s.stack)).value!.find((o) => o.runtime === runtime)!;
    const members2 = o2.native!.members as Record<string, { id: string }>;
    assert.is(members2.mcp.id, members1.mcp.id, 'the main container was not replaced');
    assert.is.not(members2.sidecar.id, members1.sidecar.id, 'the sidecar was replaced');
    assert.is(o2.specHash, c2.desired!.specHash, 'the stack reads as in sync with the applied spec');
    client = await s.client();
    assert.is(text(await client.callTool({ name: `${runtime}__sidecar`, arguments: {} })), '200 sidecar-v2');
    await client.close();
    client = undefined;

    const lines: string[] = [];
    for await (const l of s.backend!.logs!(o2, {})) lines.push(l);
    assert.ok(
      lines.some((l) => /^sidecar \| sidecar started$/.test(l)),
      lines.join('\n'),
    );

    // Destroy keeps the named volume (its data), as `docker compose down` does, and says so.
    const keep = await s.plan(true);
    const del = keep.plan!.changes.find((c) => c.address === `runtime.${runtime}`)!;
    assert.is(del.action, 'delete');
    assert.ok(
      del.steps?.some((x) => /^keep data volume \S+ \(destroy --delete-volumes removes it\)$/.test(x)),
      JSON.stringify(del.steps),
    );
    assert.is((await s.apply(keep)).exitCode, 0);
    assert.equal(await stackObjects(s.stack), [0, 0, 1], 'no container or network; the named volume is kept');
    // Destroy with --delete-volumes: nothing of the stack remains.
    const purge = await s.plan(true, true);
    assert.ok(
      purge.plan!.changes.some((c) => c.steps?.some((x) => x.startsWith('delete data volume '))),
      JSON.stringify(purge.plan!.changes),
    );
    assert.is((await s.apply(purge)).exitCode, 0);
    assert.equal(await stackObjects(s.stack), [0, 0, 0], 'no container, network or volume with the stack label');
  } finally {
    await client?.close().catch(() => undefined);
    await s.close();
    for (const img of await docker().listImages({
      filters: JSON.stringify({ reference: [`cf-build-${runtime}-mcp:*`] }),
    }))
      await docker()
        .getImage(img.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
});

test('compose behind an edge: egress off keeps every member on an internal network, filtered egress goes through the allow-list', async () => {
  if (!enabled) return skip('the Docker daemon does not answer');
  const s = new DockerStack();
  const runtime = `sealed${s.stack.slice(-6)}`;
  let client: Awaited<ReturnType<DockerStack['client']>> | undefined;
  try {
    mkdirSync(join(s.dir, 'app'));
    cpSync(FIXTURES, join(s.dir, 'app'), { recursive: true });
    writeFileSync(
      join(s.dir, 'stack.compose.yaml'),
      readFileSync(COMPOSE, 'utf8').replace('echo SIDECAR_TEXT', 'echo sealed'),
    );
    const config = (profile: string): string =>
      [
        'backends:',
        '  local: { type: docker, allow_local_images: true }',
        'profiles:',
        '  sealed: { network: { egress_allowed: false } }',
        '  filtered: { network: { egress_allowed: true, allowed_hosts: ["api.example.com"] } }',
        'catalog:',
        `  - { name: Sealed, slug: ${runtime}, source: { type: compose, compose_file: stack.compose.yaml, main_service: mcp }, transport: { type: streamable-http, port: 8080, path: /mcp } }`,
        'runtimes:',
        `  - { name: ${runtime}, catalog: ${runtime}, backend: local, guardrails_profile: ${profile} }`,
        '',
      ].join('\n');
    await s.load(config('sealed'));
    const a1 = await s.apply(await s.plan());
    assert.is(a1.exitCode, 0, `${JSON.stringify(a1.diags)}\n${s.progress.join('\n')}`);
    const o1 = (await s.backend!.observe(s.stack)).value!.find((o) => o.runtime === runtime)!;
    assert.match(o1.endpoint?.url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/mcp$/, 'the edge publishes the MCP port');
    const members = o1.native!.members as Record<string, { id: string }>;
    for (const m of Object.values(members)) {
      const info = await docker().getContainer(m.id).inspect();
      const nets = Object.keys(info.NetworkSettings.Networks);
      assert.equal(nets, [`contextforge-${s.stack}-${runtime}-i`]);
      const net = (await docker().getNetwork(nets[0]).inspect()) as {
        Internal: boolean;
        Options?: Record<string, string>;
      };
      assert.is(net.Internal, true, 'members sit on an internal network');
      assert.is(net.Options?.['com.docker.network.bridge.inhibit_ipv4'], 'true', 'whose gateway is no host address');
      assert.equal(info.HostConfig.PortBindings ?? {}, {}, 'members publish nothing themselves');
    }
    client = await s.client();
    assert.is(
      text(await client.callTool({ name: `${runtime}__sidecar`, arguments: {} })),
      '200 sealed',
      'served through the edge; services still reach each other',
    );
    await client.close();
    client = undefined;

    // Filtered egress: members move to the proxy topology and get the edge's allow-list proxy.
    await s.load(config('filtered'));
    const p2 = await s.plan();
    assert.ok(
      p2.plan!.changes[0].fields.some((f) => f.path === 'edge'),
      JSON.stringify(p2.plan!.changes[0].fields),
    );
    const a2 = await s.apply(p2);
    assert.is(a2.exitCode, 0, JSON.stringify(a2.diags));
    const o2 = (await s.backend!.observe(s.stack)).value!.find((o) => o.runtime === runtime)!;
    const side = await docker()
      .getContainer((o2.native!.members as Record<string, { id: string }>).sidecar.id)
      .inspect();
    assert.ok(side.Config.Env.includes('HTTP_PROXY=http://contextforge-edge:3128'), side.Config.Env.join(' '));
    const edge = await docker()
      .getContainer(o2.native!.edgeContainerId as string)
      .inspect();
    assert.ok(edge.Config.Env.includes('CF_ALLOWED_HOSTS=["api.example.com"]'), edge.Config.Env.join(' '));
    client = await s.client();
    assert.is(text(await client.callTool({ name: `${runtime}__sidecar`, arguments: {} })), '200 sealed');
    await client.close();
    client = undefined;

    assert.is((await s.apply(await s.plan(true, true))).exitCode, 0);
    assert.equal(await stackObjects(s.stack), [0, 0, 0], 'no container, network or volume with the stack label');
  } finally {
    await client?.close().catch(() => undefined);
    await s.close();
    for (const img of await docker().listImages({
      filters: JSON.stringify({ reference: [`cf-build-${runtime}-mcp:*`] }),
    }))
      await docker()
        .getImage(img.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
});

test.run();
