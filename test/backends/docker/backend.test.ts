// The Docker backend against the real engine: a full create → noop → replace → drift → delete
// cycle reached over MCP (HTTP on 127.0.0.1 and stdio over docker attach), stack isolation and
// foreign containers left alone, list-only observation, the unreachable-daemon diagnostic, the
// registry allow-list before any pull, logs, and secrets kept out of labels and diagnostics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createDockerBackend } from '../../../src/backends/docker/index.js';
import { LABEL } from '../../../src/backends/docker/labels.js';
import { dockerAttachConnector } from '../../../src/gateway/docker-attach.js';
import type { Change, DesiredResource, ObservedResource } from '../../../src/model/resources.js';
import { docker, removeByLabel, requireDocker, testLabels, uniqueName } from '../../support/docker.js';
import { BUSYBOX_IMAGE, EVERYTHING, EVERYTHING_IMAGE, ensureFixtureImages } from '../../support/images.js';
import { connectStreamableHttp } from '../../support/mcp.js';
import { applyContext, cleanupStack, countingDocker, desired, PRESETS } from './fixtures.js';

const SUITE = 'docker-backend';
const SECRET = `s3cr3t-${Math.random().toString(36).slice(2)}`;
const runId = uniqueName(SUITE);
const stacks: string[] = [];

function newStack(prefix: string): string {
  // Stack names: lowercase, digits and '-', at most 40 characters.
  const s = uniqueName(prefix).slice(0, 40).replace(/-+$/, '');
  stacks.push(s);
  return s;
}

const config = { type: 'docker' as const, allow_local_images: true };

function textOf(result: unknown): string {
  const r = result as { content?: Array<{ type: string; text?: string }> };
  return (r.content ?? []).map((c) => c.text ?? '').join('\n');
}

function sleeper(stack: string, runtime: string, extra: Partial<Parameters<typeof desired>[0]> = {}): DesiredResource {
  return desired({
    stack,
    runtime,
    image: BUSYBOX_IMAGE,
    command: ['/bin/sh', '-c', 'echo started; sleep 600'],
    transport: { type: 'stdio' },
    ...extra,
  });
}

async function applyAll(b: ReturnType<typeof createDockerBackend>, changes: Change[], stack: string): Promise<void> {
  const outcomes = await Promise.all(changes.map((c) => b.apply(c, applyContext(stack))));
  for (const o of outcomes) assert.ok(o.status !== 'failed', JSON.stringify(o.diags));
}

function byRuntime(list: ObservedResource[] | undefined): Map<string, ObservedResource> {
  return new Map((list ?? []).map((o) => [o.runtime, o]));
}

if (await requireDocker(SUITE)) {
  test.before(async () => {
    await ensureFixtureImages();
  });

  test.after(async () => {
    for (const s of stacks) await cleanupStack(s);
    await removeByLabel(testLabels(runId));
  });

  test('full cycle: create, MCP over HTTP and attach, noop, replace on env edit, drift repaired, delete', async () => {
    const stack = newStack('cf-cycle');
    const b = createDockerBackend('local', config);
    const ev = (env: Record<string, string>) =>
      desired({
        stack,
        runtime: 'ev',
        image: EVERYTHING_IMAGE,
        args: [...EVERYTHING.streamableHttp.cmd],
        transport: { type: 'streamable-http', port: EVERYTHING.port, path: '/mcp' },
        env,
        secrets: { API_TOKEN: SECRET },
      });
    const io = desired({
      stack,
      runtime: 'io',
      image: EVERYTHING_IMAGE,
      args: [...EVERYTHING.stdio.cmd],
      transport: { type: 'stdio' },
      guardrails: PRESETS.airgapped,
    });
    let want = [ev({ LOG: 'info' }), io];

    const first = await b.observe(stack);
    assert.equal(first.value, []);
    const creates = want.map((d) => b.plan(d, undefined));
    assert.equal(
      creates.map((c) => c.reason),
      ['create:new', 'create:new'],
    );
    assert.not.ok(JSON.stringify(creates.map((c) => c.fields)).includes(SECRET));
    await applyAll(b, creates, stack);

    let seen = byRuntime((await b.observe(stack)).value);
    const evObs = seen.get('ev')!;
    assert.is(evObs.status, 'running');
    assert.match(evObs.endpoint?.url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const http = await connectStreamableHttp(evObs.endpoint!.url!);
    try {
      assert.is(textOf(await http.callTool({ name: EVERYTHING.tools.echo, arguments: { message: 'hi' } })), 'Echo: hi');
    } finally {
      await http.close();
    }
    const ioObs = seen.get('io')!;
    assert.is(ioObs.endpoint?.transport, 'stdio');
    const attach = ioObs.endpoint?.attach;
    assert.ok(attach && attach.kind === 'docker');
    const stdio = new Client({ name: 'cf-test', version: '0' });
    await stdio.connect(
      await dockerAttachConnector({
        docker: b.docker,
        containerId: (attach as { containerId: string }).containerId,
      }).connect(),
    );
    try {
      assert.is(
        textOf(await stdio.callTool({ name: EVERYTHING.tools.sum, arguments: { a: 2, b: 3 } })),
        'The sum of 2 and 3 is 5.',
      );
    } finally {
      await stdio.close();
    }

    // The secret reaches the container's env (Docker has no other channel) but no label.
    const info = await docker()
      .getContainer(evObs.native!.containerId as string)
      .inspect();
    assert.ok(info.Config.Env.includes(`API_TOKEN=${SECRET}`));
    assert.not.ok(JSON.stringify(info.Config.Labels).includes(SECRET));
    assert.is(info.Config.Labels[LABEL.managedBy], 'contextforge');
    assert.is(info.Config.Labels[LABEL.address], 'runtime.ev');
    assert.ok(info.HostConfig.SecurityOpt?.includes('no-new-privileges:true'));

    assert.equal(
      want.map((d) => b.plan(d, seen.get(d.runtime)).action),
      ['noop', 'noop'],
    );

    // Edit one runtime's env: exactly one replace, with the field's before and after.
    want = [ev({ LOG: 'debug' }), io];
    const plan2 = want.map((d) => b.plan(d, seen.get(d.runtime)));
    assert.equal(
      plan2.map((c) => c.action),
      ['replace', 'noop'],
    );
    assert.is(plan2[0].reason, 'replace:env-changed');
    assert.equal(plan2[0].fields, [{ path: 'env.LOG', before: 'info', after: 'debug', forcesReplace: true }]);
    await applyAll(
      b,
      plan2.filter((c) => c.action !== 'noop'),
      stack,
    );
    seen = byRuntime((await b.observe(stack)).value);
    assert.is.not(seen.get('ev')!.native!.containerId, evObs.native!.containerId);
    assert.equal(
      want.map((d) => b.plan(d, seen.get(d.runtime)).action),
      ['noop', 'noop'],
    );

    // Stopped by hand → update:drift-stopped, and apply starts it again.
    await docker()
      .getContainer(seen.get('ev')!.native!.containerId as string)
      .stop({ t: 1 });
    seen = byRuntime((await b.observe(stack)).value);
    const stopped = b.plan(want[0], seen.get('ev'));
    assert.is(stopped.reason, 'update:drift-stopped');
    await applyAll(b, [stopped], stack);
    seen = byRuntime((await b.observe(stack)).value);
    assert.is(seen.get('ev')!.status, 'running');
    assert.is(b.plan(want[0], seen.get('ev')).action, 'noop');

    // Removed by hand → gone from observe → create; apply repairs.
    await docker()
      .getContainer(seen.get('ev')!.native!.containerId as string)
      .remove({ force: true });
    seen = byRuntime((await b.observe(stack)).value);
    assert.not.ok(seen.has('ev'));
    const repaired = b.plan(want[0], seen.get('ev'));
    assert.is(repaired.action, 'create');
    await applyAll(b, [repaired], stack);
    seen = byRuntime((await b.observe(stack)).value);
    assert.is(b.plan(want[0], seen.get('ev')).action, 'noop');

    // Delete everything: no container, network or volume of the stack remains.
    await applyAll(
      b,
      [...seen.values()].map((o) => b.plan(undefined, o)),
      stack,
    );
    const filters = JSON.stringify({ label: [`${LABEL.stack}=${stack}`] });
    assert.is((await docker().listContainers({ all: true, filters })).length, 0);
    assert.is((await docker().listNetworks({ filters })).length, 0);
    assert.is(((await docker().listVolumes({ filters })).Volumes ?? []).length, 0);
  });

  test('two stacks on one daemon and foreign containers are never touched', async () => {
    const a = newStack('cf-iso-a');
    const bStack = newStack('cf-iso-b');
    const b = createDockerBackend('local', config);
    const other = createDockerBackend('other', config);
    await applyAll(b, [b.plan(sleeper(a, 'web'), undefined)], a);
    await applyAll(b, [b.plan(sleeper(bStack, 'web'), undefined)], bStack);
    await applyAll(other, [other.plan(sleeper(a, 'api', { backend: 'other' }), undefined)], a);
    // Look-alikes without our managed-by label, one even carrying the stack and runtime labels.
    const foreign = await docker().createContainer({
      Image: BUSYBOX_IMAGE,
      Cmd: ['sleep', '600'],
      Labels: { ...testLabels(runId), [LABEL.stack]: a, [LABEL.runtime]: 'web' },
    });
    await foreign.start();

    const seenA = (await b.observe(a)).value!;
    assert.equal(
      seenA.map((o) => o.runtime),
      ['web'],
    );
    assert.equal(
      (await other.observe(a)).value!.map((o) => o.runtime),
      ['api'],
    );
    await applyAll(
      b,
      seenA.map((o) => b.plan(undefined, o)),
      a,
    );

    assert.equal((await b.observe(a)).value, []);
    assert.equal(
      (await b.observe(bStack)).value!.map((o) => o.runtime),
      ['web'],
    );
    assert.equal(
      (await other.observe(a)).value!.map((o) => o.runtime),
      ['api'],
    );
    assert.is((await foreign.inspect()).State.Running, true);
    // The stack network stays while another backend's container of the stack still uses it.
    const nets = await docker().listNetworks({ filters: JSON.stringify({ name: [`contextforge-${a}`] }) });
    assert.is(nets.length, 1);
  });

  test('a container name held by someone else is reported, not taken over', async () => {
    const stack = newStack('cf-name');
    const b = createDockerBackend('local', config);
    const squatter = await docker().createContainer({
      name: `cf-${stack}-web`,
      Image: BUSYBOX_IMAGE,
      Cmd: ['sleep', '600'],
      Labels: testLabels(runId),
    });
    const out = await b.apply(b.plan(sleeper(stack, 'web'), undefined), applyContext(stack));
    assert.is(out.status, 'failed');
    assert.is(out.diags[0].code, 'docker.name-taken');
    assert.ok((await squatter.inspect()).Id);
  });

  test('observe costs the same few list calls for 1 and 4 runtimes; a noop apply makes no call', async () => {
    const small = newStack('cf-cnt-a');
    const large = newStack('cf-cnt-b');
    const counting = countingDocker();
    const b = createDockerBackend('local', config, { docker: counting.docker });
    await applyAll(b, [b.plan(sleeper(small, 'r0'), undefined)], small);
    await applyAll(
      b,
      ['r0', 'r1', 'r2', 'r3'].map((r) => b.plan(sleeper(large, r), undefined)),
      large,
    );

    counting.reset();
    const one = await b.observe(small);
    const smallCalls = [...counting.requests];
    counting.reset();
    const four = await b.observe(large);
    const largeCalls = [...counting.requests];
    assert.is(one.value!.length, 1);
    assert.is(four.value!.length, 4);
    assert.equal(largeCalls.sort(), smallCalls.sort());
    assert.ok(
      largeCalls.every((r) => r.startsWith('GET ')),
      largeCalls.join(', '),
    );
    assert.ok(
      largeCalls.every((r) => /^GET \/(containers\/json|networks|volumes|images\/json|info)$/.test(r)),
      largeCalls.join(', '),
    );

    counting.reset();
    for (const o of four.value!) {
      const c = b.plan(sleeper(large, o.runtime), o);
      assert.is(c.action, 'noop');
      assert.is((await b.apply(c, applyContext(large))).status, 'unchanged');
    }
    assert.equal(counting.requests, []);
  });

  test('an unreachable daemon is a docker.unreachable diagnostic naming the socket and the fix', async () => {
    const socket = `/tmp/${uniqueName('cf-no-daemon')}.sock`;
    const b = createDockerBackend('local', { type: 'docker', socket });
    const r = await b.observe('nostack');
    assert.is(r.value, undefined);
    assert.is(r.diags[0].code, 'docker.unreachable');
    assert.ok(r.diags[0].summary.includes(socket));
    assert.match(r.diags[0].detail ?? '', /Start the daemon/);
    assert.not.match(JSON.stringify(r.diags), /\n\s+at /);
    const out = await b.apply(
      b.plan(sleeper('nostack', 'x', { secrets: { K: SECRET } }), undefined),
      applyContext('nostack'),
    );
    assert.is(out.status, 'failed');
    assert.is(out.diags[0].code, 'docker.unreachable');
    assert.not.ok(JSON.stringify(out.diags).includes(SECRET));
  });

  test('an image from a registry not allowed is refused by validate and apply, before any pull', async () => {
    const stack = newStack('cf-reg');
    const counting = countingDocker();
    const b = createDockerBackend(
      'local',
      { type: 'docker', allowed_registries: ['127.0.0.1:5999'] },
      { docker: counting.docker },
    );
    const d = sleeper(stack, 'web', { image: 'ghcr.io/acme/never-pulled:1', pull: 'always' });
    assert.equal(
      b.validate([d]).map((x) => x.code),
      ['docker.registry-not-allowed'],
    );
    counting.reset();
    const out = await b.apply(b.plan(d, undefined), applyContext(stack));
    assert.is(out.status, 'failed');
    assert.is(out.diags[0].code, 'docker.registry-not-allowed');
    assert.not.ok(
      counting.requests.some((r) => r.startsWith('POST /images/create')),
      counting.requests.join(', '),
    );
    // And a local image is refused when allow_local_images is off and docker.io is not allowed.
    assert.equal(
      b.validate([sleeper(stack, 'web')]).map((x) => x.code),
      ['docker.registry-not-allowed'],
    );
  });

  test('logs are demultiplexed lines; a failing server is reported with scrubbed log lines', async () => {
    const stack = newStack('cf-logs');
    const b = createDockerBackend('local', config, { healthTimeoutMs: 20_000 });
    const d = sleeper(stack, 'talk', { command: ['/bin/sh', '-c', 'echo one; echo two >&2; echo three; sleep 600'] });
    await applyAll(b, [b.plan(d, undefined)], stack);
    const [o] = (await b.observe(stack)).value!;
    const lines: string[] = [];
    for await (const l of b.logs!(o, { tail: 10 })) lines.push(l);
    assert.equal([...lines].sort(), ['one', 'three', 'two']);

    const bad = sleeper(stack, 'bad', {
      command: ['/bin/sh', '-c', 'echo "token is $API_TOKEN"; exit 3'],
      transport: { type: 'streamable-http', port: 8080, path: '/mcp' },
      secrets: { API_TOKEN: SECRET },
    });
    const out = await b.apply(b.plan(bad, undefined), applyContext(stack));
    assert.is(out.status, 'failed');
    assert.is(out.diags[0].code, 'docker.unhealthy');
    assert.match(out.diags[0].summary, /stopped \(exit code 3/);
    assert.match(out.diags[0].detail ?? '', /token is \(sensitive\)/);
    assert.not.ok(JSON.stringify(out).includes(SECRET));
  });

  test('interrupted applies converge: a duplicate container is removed, a hand-connected network is drift', async () => {
    const stack = newStack('cf-dup');
    const b = createDockerBackend('local', config);
    const d = sleeper(stack, 'web');
    await applyAll(b, [b.plan(d, undefined)], stack);
    let [o] = (await b.observe(stack)).value!;
    // What a killed replace can leave behind: a second container carrying the same labels.
    const info = await docker()
      .getContainer(o.native!.containerId as string)
      .inspect();
    const dup = await docker().createContainer({
      Image: BUSYBOX_IMAGE,
      Cmd: ['sleep', '600'],
      Labels: info.Config.Labels,
      HostConfig: { NetworkMode: `contextforge-${stack}` },
    });
    [o] = (await b.observe(stack)).value!;
    const c = b.plan(d, o);
    assert.is(c.reason, 'update:drift-duplicate');
    await applyAll(b, [c], stack);
    [o] = (await b.observe(stack)).value!;
    assert.is(b.plan(d, o).action, 'noop');
    await dup.inspect().then(
      () => assert.unreachable('the duplicate should be gone'),
      (err: { statusCode?: number }) => assert.is(err.statusCode, 404),
    );

    // Connecting the container to another network by hand is an edit that forces a replace.
    const extraNet = await docker().createNetwork({ Name: `${stack}-extra`, Labels: testLabels(runId) });
    await extraNet.connect({ Container: o.native!.containerId as string });
    [o] = (await b.observe(stack)).value!;
    const edited = b.plan(d, o);
    assert.is(edited.reason, 'replace:drift-edited');
    assert.match(JSON.stringify(edited.fields), /also attached to/);
    await applyAll(b, [edited], stack);
    [o] = (await b.observe(stack)).value!;
    assert.is(b.plan(d, o).action, 'noop');
  });

  test('logs --follow yields new lines as they come and stops on abort', async () => {
    const stack = newStack('cf-follow');
    const b = createDockerBackend('local', config);
    const d = sleeper(stack, 'ticker', {
      command: ['/bin/sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done'],
    });
    await applyAll(b, [b.plan(d, undefined)], stack);
    const [o] = (await b.observe(stack)).value!;
    const ac = new AbortController();
    const seen: string[] = [];
    const guard = setTimeout(() => ac.abort(), 15_000);
    for await (const line of b.logs!(o, { follow: true, tail: 0, signal: ac.signal })) {
      seen.push(line);
      if (seen.length === 3) ac.abort();
    }
    clearTimeout(guard);
    assert.is(seen.length, 3);
    assert.ok(
      seen.every((l) => /^tick \d+$/.test(l)),
      seen.join(','),
    );
  });

  test('a stack network removed by hand is created again by the next create of the same backend', async () => {
    const stack = newStack('cf-net');
    const b = createDockerBackend('local', config);
    await applyAll(b, [b.plan(sleeper(stack, 'one'), undefined)], stack);
    const [o] = (await b.observe(stack)).value!;
    await docker()
      .getContainer(o.native!.containerId as string)
      .remove({ force: true });
    await docker().getNetwork(`contextforge-${stack}`).remove();
    await applyAll(b, [b.plan(sleeper(stack, 'two'), undefined)], stack);
    const seen = (await b.observe(stack)).value!;
    assert.equal(
      seen.map((x) => [x.runtime, x.status]),
      [['two', 'running']],
    );
  });

  test('a guardrail change that moves a runtime off its internal network drops that network', async () => {
    const stack = newStack('cf-topo');
    const b = createDockerBackend('local', config);
    // Egress filtered to an allow-list: the internal network with an edge (a stdio server with
    // egress off has no network at all, so it would not do here).
    const closed = sleeper(stack, 'web', {
      guardrails: { ...PRESETS.unrestricted, allowedHosts: ['example.com'], ingressPorts: [8080] },
    });
    await applyAll(b, [b.plan(closed, undefined)], stack);
    const internal = `contextforge-${stack}-web-internal`;
    assert.is((await docker().listNetworks({ filters: JSON.stringify({ name: [internal] }) })).length, 1);
    let [o] = (await b.observe(stack)).value!;
    const opened = sleeper(stack, 'web', { guardrails: { ingressPorts: [8080] } });
    const c = b.plan(opened, o);
    assert.is(c.reason, 'replace:guardrails-changed');
    await applyAll(b, [c], stack);
    [o] = (await b.observe(stack)).value!;
    assert.is(b.plan(opened, o).action, 'noop');
    assert.is((await docker().listNetworks({ filters: JSON.stringify({ name: [internal] }) })).length, 0);
    assert.is(o.native!.edgeContainerId, undefined);
  });

  test.run();
}
