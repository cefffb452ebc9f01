// Guardrails of the four preset profiles (the seed's values), verified from INSIDE containers the
// Docker backend created, with busybox probes run through `docker exec`: read-only root, no
// effective capabilities, no-new-privileges, seccomp, cgroup limits (a fork bomb stops at
// max_pids, an allocation above max_memory is killed), no route out when egress is off, and the
// allowed_hosts egress proxy. Probe traffic stays inside Docker: the container-to-container
// proxy targets are test containers; the host is only reached on 127.0.0.1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { createDockerBackend } from '../../src/backends/docker/index.js';
import { LABEL } from '../../src/backends/docker/labels.js';
import { FrameDecoder } from '../../src/backends/docker/logs.js';
import type { ObservedResource } from '../../src/model/resources.js';
import { docker, removeByLabel, requireDocker, testLabels, uniqueName } from '../support/docker.js';
import { BUSYBOX_IMAGE, EVERYTHING, EVERYTHING_IMAGE, ensureFixtureImages } from '../support/images.js';
import { connectStreamableHttp } from '../support/mcp.js';
import { applyContext, cleanupStack, desired, PRESETS } from '../backends/docker/fixtures.js';

const SUITE = 'docker-guardrails';
const runId = uniqueName(SUITE);
const stack = uniqueName('cf-guard').slice(0, 40).replace(/-+$/, '');
const backend = createDockerBackend('local', { type: 'docker', allow_local_images: true });
const ALLOWED = `${stack}-allowed`;
const DENIED = `${stack}-denied`;
type Preset = keyof typeof PRESETS;
const probes = new Map<Preset, ObservedResource>();

interface ExecResult {
  code: number;
  out: string;
}

/**
 * Runs `sh -c script` in a container, bounded in time. stderr is redirected into stdout inside the
 * container, because the daemon copies the two streams separately and may reorder them.
 */
async function sh(containerId: string, script: string, timeoutMs = 30_000, cmd?: string[]): Promise<ExecResult> {
  const exec = await docker()
    .getContainer(containerId)
    .exec({ Cmd: cmd ?? ['/bin/sh', '-c', `exec 2>&1; ${script}`], AttachStdout: true, AttachStderr: true });
  const stream = (await exec.start({ hijack: true, stdin: false })) as NodeJS.ReadableStream & { destroy(): void };
  const decoder = new FrameDecoder();
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`probe took longer than ${timeoutMs} ms: ${script}`));
    }, timeoutMs);
    stream.on('data', (c: Buffer) => lines.push(...decoder.push(c)));
    stream.on('end', () => {
      clearTimeout(timer);
      resolve();
    });
    stream.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  lines.push(...decoder.flush());
  const info = await exec.inspect();
  return { code: info.ExitCode ?? -1, out: lines.join('\n') };
}

function id(p: Preset): string {
  return probes.get(p)!.native!.containerId as string;
}

function statusField(out: string, field: string): string {
  return new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(out)?.[1] ?? '';
}

/** The seed's standard profile, with the allowed test container added to its allow-list. */
const standardWithTarget = { ...PRESETS.standard, allowedHosts: [...PRESETS.standard.allowedHosts, ALLOWED] };

if (await requireDocker(SUITE)) {
  test.before(async () => {
    await ensureFixtureImages();
    const want = (['unrestricted', 'standard', 'restricted', 'airgapped'] as const).map((p) =>
      desired({
        stack,
        runtime: `probe-${p}`,
        image: BUSYBOX_IMAGE,
        // sleep is PID 1, so probes may `kill -9 -1` their own leftovers without stopping it.
        command: ['/bin/sleep', '900'],
        transport: { type: 'stdio' },
        guardrails: p === 'standard' ? standardWithTarget : PRESETS[p],
      }),
    );
    const outcomes = await Promise.all(want.map((d) => backend.apply(backend.plan(d, undefined), applyContext(stack))));
    for (const o of outcomes) assert.ok(o.status === 'created', JSON.stringify(o.diags));
    for (const o of (await backend.observe(stack)).value!) probes.set(o.runtime.replace('probe-', '') as Preset, o);
    // Two web servers on the stack network: one the standard profile allows, one it does not.
    for (const name of [ALLOWED, DENIED]) {
      const c = await docker().createContainer({
        name,
        Image: BUSYBOX_IMAGE,
        Cmd: [
          '/bin/sh',
          '-c',
          `mkdir -p /tmp/www && echo "hello from ${name}" > /tmp/www/index.html && httpd -f -p 8000 -h /tmp/www`,
        ],
        Labels: testLabels(runId),
        HostConfig: { NetworkMode: `contextforge-${stack}` },
      });
      await c.start();
    }
  });

  test.after(async () => {
    await removeByLabel(testLabels(runId));
    await cleanupStack(stack);
  });

  test('read_only_root: writing to / fails, /tmp works (standard, restricted, airgapped); unrestricted may write', async () => {
    for (const p of ['standard', 'restricted', 'airgapped'] as const) {
      const r = await sh(id(p), 'touch /probe-root; echo root=$?; touch /tmp/probe && echo tmp=ok');
      assert.match(r.out, /Read-only file system/, p);
      assert.match(r.out, /root=1/, p);
      assert.match(r.out, /tmp=ok/, p);
    }
    const open = await sh(id('unrestricted'), 'touch /probe-root && echo root=ok');
    assert.match(open.out, /root=ok/);
  });

  test('allowed_mounts: the standard profile gets writable /data and /cache, and nothing else is mounted', async () => {
    const r = await sh(
      id('standard'),
      'touch /data/x && touch /cache/y && echo mounts=ok; grep -E " /(data|cache) " /proc/self/mounts | wc -l',
    );
    assert.match(r.out, /mounts=ok/);
    assert.match(r.out, /^2$/m);
    assert.equal(
      backend
        .validate([desired({ stack, runtime: 'm', image: BUSYBOX_IMAGE, guardrails: { allowedMounts: ['/etc'] } })])
        .map((d) => d.code),
      ['docker.mount-not-allowed'],
    );
  });

  test('drop_all: no effective capabilities (standard keeps only NET_BIND_SERVICE); no-new-privileges and seccomp always', async () => {
    const caps: Record<Preset, string> = {} as Record<Preset, string>;
    for (const p of ['unrestricted', 'standard', 'restricted', 'airgapped'] as const) {
      const r = await sh(id(p), 'cat /proc/self/status');
      caps[p] = statusField(r.out, 'CapEff');
      assert.is(statusField(r.out, 'NoNewPrivs'), '1', `${p} NoNewPrivs`);
      assert.is(statusField(r.out, 'Seccomp'), '2', `${p} Seccomp filter mode`);
    }
    assert.is(caps.restricted, '0000000000000000');
    assert.is(caps.airgapped, '0000000000000000');
    // NET_BIND_SERVICE is capability 10.
    assert.is(caps.standard, '0000000000000400');
    assert.is.not(caps.unrestricted, '0000000000000000');
    const strict = desired({
      stack,
      runtime: 'strict-aa',
      image: BUSYBOX_IMAGE,
      command: ['/bin/sleep', '60'],
      transport: { type: 'stdio' },
      guardrails: { ...PRESETS.restricted, strict: true },
    });
    // AppArmor is a fact of the engine's host, reported by observe for the desired set it is given.
    const gap = (await backend.observe(stack, [strict])).diags.filter((d) => d.code === 'guardrail.unenforced');
    if (gap.length > 0) {
      // This host has no AppArmor: restricted's apparmor cannot be enforced, so strict refuses,
      // in the one wording of every unenforced control, at plan (observe) and again at apply.
      assert.is(gap.length, 1);
      assert.is(gap[0].severity, 'error');
      assert.match(gap[0].summary, /^apparmor of profile "restricted" is not enforced on docker backend/);
      assert.match(gap[0].detail ?? '', /has no AppArmor/);
      const out = await backend.apply(backend.plan(strict, undefined), applyContext(stack));
      assert.is(out.status, 'failed');
      assert.is(out.diags[0].code, 'guardrail.unenforced');
      assert.match(out.diags[0].summary, /apparmor/);
    }
  });

  test('egress off (airgapped, no port): only lo, no routes, connecting out fails at once', async () => {
    const r = await sh(
      id('airgapped'),
      'cat /proc/net/dev; echo ROUTES; tail -n +2 /proc/net/route; echo END; nc -w 2 1.1.1.1 80; echo rc=$?',
      10_000,
    );
    const dev = r.out.slice(0, r.out.indexOf('ROUTES'));
    const ifaces = [...dev.matchAll(/^\s*(\w+):/gm)].map((m) => m[1]);
    assert.equal(ifaces, ['lo']);
    assert.match(r.out, /ROUTES\nEND/);
    assert.match(r.out, /Network is unreachable/);
    assert.match(r.out, /rc=1/);
    // Control: with egress allowed the same probe finds a default route (destination 00000000).
    const open = await sh(id('unrestricted'), 'tail -n +2 /proc/net/route');
    assert.match(open.out, /^eth0\s+00000000\s/m);
  });

  /** An MCP server over HTTP under restricted (egress off, port 8080): created once, shared. */
  let httpRestricted: Promise<ObservedResource> | undefined;
  const restrictedHttp = (): Promise<ObservedResource> =>
    (httpRestricted ??= (async () => {
      const d = desired({
        stack,
        runtime: 'mcp-restricted',
        image: EVERYTHING_IMAGE,
        args: [...EVERYTHING.streamableHttp.cmd],
        env: { PORT: '8080' },
        transport: { type: 'streamable-http', port: 8080, path: '/mcp' },
        guardrails: PRESETS.restricted,
      });
      const out = await backend.apply(backend.plan(d, undefined), applyContext(stack));
      assert.is(out.status, 'created', JSON.stringify(out.diags));
      return out.observed!;
    })());

  test('egress off, stdio (restricted): no network, no edge sidecar, no published port', async () => {
    const o = probes.get('restricted')!;
    const info = await docker().getContainer(id('restricted')).inspect();
    assert.is(info.HostConfig.NetworkMode, 'none');
    assert.equal(Object.keys(info.NetworkSettings.Ports ?? {}), []);
    assert.is(o.native!.edgeContainerId, undefined);
    const edges = await docker().listContainers({
      all: true,
      filters: JSON.stringify({
        label: [`${LABEL.stack}=${stack}`, `${LABEL.runtime}=probe-restricted`, `${LABEL.role}=edge`],
      }),
    });
    assert.is(edges.length, 0, 'no edge sidecar forwarding to nothing');
  });

  test('egress off with a port (restricted HTTP): internal network whose gateway is no host address, edge does not route', async () => {
    const o = await restrictedHttp();
    const mainId = o.native!.containerId as string;
    const info = await docker().getContainer(mainId).inspect();
    const netName = Object.keys(info.NetworkSettings.Networks)[0];
    assert.is(netName, `contextforge-${stack}-mcp-restricted-internal`);
    const net = (await docker().getNetwork(netName).inspect()) as Dockerode.NetworkInspectInfo & {
      Options?: Record<string, string>;
    };
    assert.is(net.Internal, true);
    assert.is(net.Options?.['com.docker.network.bridge.inhibit_ipv4'], 'true');
    const gateway = net.IPAM?.Config?.[0]?.Gateway;
    const hostAddrs = Object.values(networkInterfaces())
      .flat()
      .map((a) => a?.address);
    assert.ok(gateway && !hostAddrs.includes(gateway), `gateway ${gateway} must not be a host address`);
    const probeOut =
      "const s=require('net').connect({host:'1.1.1.1',port:80,timeout:3000});" +
      "s.on('connect',()=>{console.log('CONNECTED');process.exit(0)});s.on('timeout',()=>{console.log('TIMEOUT');process.exit(1)});" +
      "s.on('error',e=>{console.log('ERR '+e.code);process.exit(1)})";
    const r = await sh(mainId, '', 15_000, ['/usr/bin/node', '-e', probeOut]);
    assert.not.match(r.out, /CONNECTED/);
    // The edge sidecar joins both networks but must not forward packets between them.
    const edge = await sh(o.native!.edgeContainerId as string, '', 10_000, [
      '/usr/bin/node',
      '-e',
      "process.stdout.write(require('fs').readFileSync('/proc/sys/net/ipv4/ip_forward','utf8'))",
    ]);
    assert.is(edge.out.trim(), '0');
    // Control: the unrestricted probe's gateway is a host address, i.e. it does have a way out.
    const openInfo = await docker().getContainer(id('unrestricted')).inspect();
    const openGw = Object.values(openInfo.NetworkSettings.Networks)[0].Gateway;
    assert.ok(hostAddrs.includes(openGw), `control gateway ${openGw} should be on the host`);
  });

  test('egress off, HTTP server (restricted): reachable on 127.0.0.1 through the edge, no route out from inside', async () => {
    const out = { observed: await restrictedHttp() };
    const client = await connectStreamableHttp(out.observed.endpoint!.url!);
    try {
      const r = (await client.callTool({ name: EVERYTHING.tools.echo, arguments: { message: 'inside' } })) as {
        content: Array<{ text: string }>;
      };
      assert.is(r.content[0].text, 'Echo: inside');
    } finally {
      await client.close();
    }
    const probe =
      "const s=require('net').connect({host:'1.1.1.1',port:80,timeout:3000});" +
      "s.on('connect',()=>{console.log('CONNECTED');process.exit(0)});s.on('timeout',()=>{console.log('TIMEOUT');process.exit(1)});" +
      "s.on('error',e=>{console.log('ERR '+e.code);process.exit(1)})";
    const r = await sh(out.observed.native!.containerId as string, '', 15_000, ['/usr/bin/node', '-e', probe]);
    assert.not.match(r.out, /CONNECTED/);
    assert.match(r.out, /TIMEOUT|ERR E(HOSTUNREACH|NETUNREACH)/);
  });

  test('max_memory: an allocation above the limit is killed (airgapped 128m); unrestricted 2g completes', async () => {
    const alloc =
      'awk \'BEGIN{s="x"; for(i=0;i<27;i++) s=s s; print "len=" length(s)}\'; echo rc=$?; ' +
      'read lim < /sys/fs/cgroup/memory/memory.limit_in_bytes; read sw < /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null; echo limit=$lim memsw=$sw';
    const r = await sh(id('airgapped'), alloc, 60_000);
    assert.match(r.out, /rc=137/);
    assert.not.match(r.out, /len=/);
    assert.match(r.out, /limit=134217728/);
    const open = await sh(id('unrestricted'), alloc, 60_000);
    assert.match(open.out, /len=134217728/);
    assert.match(open.out, /rc=0/);
  });

  test('max_cpu: the CFS quota matches (restricted 0.25 cores, standard 0.5)', async () => {
    const q =
      'read q < /sys/fs/cgroup/cpu/cpu.cfs_quota_us; read p < /sys/fs/cgroup/cpu/cpu.cfs_period_us; echo q=$q p=$p';
    const rq = await sh(id('restricted'), q);
    assert.match(rq.out, /q=25000 p=100000/, rq.out);
    assert.match((await sh(id('standard'), q)).out, /q=50000 p=100000/);
  });

  test('allowed_hosts: through the proxy an allowed host answers, a denied one gets 403; without it there is no route', async () => {
    const std = probes.get('standard')!;
    const edge = `cf-${stack}-probe-standard-edge`;
    // Requests go through the proxy the container's HTTP_PROXY names (busybox's static wget cannot
    // resolve names in an image without NSS, so the probe speaks HTTP to the proxy with nc; the
    // sleep keeps nc from half-closing before the answer arrives).
    const viaProxy = (target: string, line: string): string =>
      `p=\${HTTP_PROXY#http://}; (printf '${line}\\r\\nHost: ${target}\\r\\n\\r\\n'; sleep 2) | nc -w 3 \${p%:*} \${p##*:}`;
    const r = await sh(
      id('standard'),
      [
        'echo proxy=$HTTP_PROXY',
        viaProxy(ALLOWED, `GET http://${ALLOWED}:8000/index.html HTTP/1.0`),
        viaProxy(DENIED, `GET http://${DENIED}:8000/index.html HTTP/1.0`),
        viaProxy(ALLOWED, `CONNECT ${ALLOWED}:8000 HTTP/1.1`) + ' | head -1',
        viaProxy(DENIED, `CONNECT ${DENIED}:8000 HTTP/1.1`) + ' | head -1',
        `nc -w 3 ${ALLOWED} 8000 </dev/null; echo direct-rc=$?`,
        'nc -w 3 1.1.1.1 80 </dev/null; echo ip-rc=$?',
      ].join('; '),
      40_000,
    );
    if (process.env.DEBUG_PROBES) console.log(r.out);
    assert.match(r.out, new RegExp(`proxy=http://${edge}:3128`));
    assert.match(r.out, new RegExp(`hello from ${ALLOWED}`));
    assert.not.match(r.out, new RegExp(`hello from ${DENIED}`));
    assert.match(r.out, new RegExp(`403 Forbidden[\\s\\S]*host ${DENIED} is not in allowed_hosts`));
    assert.match(r.out, /HTTP\/1\.1 200 Connection Established/);
    // Without the proxy: the allowed host cannot be reached by name, and no address routes.
    assert.match(r.out, /direct-rc=1/);
    assert.match(r.out, /ip-rc=1/);
    // The proxy logs decisions (host only), which the edge's logs show.
    const lines: string[] = [];
    for await (const l of backend.logs!({ ...std, native: { containerId: std.native!.edgeContainerId } }, { tail: 50 }))
      lines.push(l);
    assert.ok(
      lines.some((l) => l.includes(`deny http ${DENIED}`)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => l.includes(`allow connect ${ALLOWED}:8000`)),
      lines.join('\n'),
    );
  });

  test('ingress_ports: only the listed ports are published, and only on 127.0.0.1', async () => {
    const d = desired({
      stack,
      runtime: 'ingress',
      image: BUSYBOX_IMAGE,
      command: [
        '/bin/sh',
        '-c',
        'mkdir -p /tmp/www && echo ingress-ok > /tmp/www/index.html && httpd -f -p 8081 -h /tmp/www',
      ],
      transport: { type: 'stdio' },
      guardrails: { ...PRESETS.unrestricted, ingressPorts: [8081, 8082] },
    });
    const out = await backend.apply(backend.plan(d, undefined), applyContext(stack));
    assert.is(out.status, 'created', JSON.stringify(out.diags));
    const [c] = await docker().listContainers({
      filters: JSON.stringify({ id: [out.observed!.native!.containerId as string] }),
    });
    const published = c.Ports.filter((p) => p.PublicPort);
    assert.equal([...new Set(published.map((p) => p.PrivatePort))].sort(), [8081, 8082]);
    assert.ok(
      published.every((p) => p.IP === '127.0.0.1'),
      JSON.stringify(published),
    );
    // Every port any container of the stack publishes is on loopback (edges included).
    const all = await docker().listContainers({ filters: JSON.stringify({ label: [`${LABEL.stack}=${stack}`] }) });
    assert.ok(
      all
        .flatMap((x) => x.Ports)
        .filter((p) => p.PublicPort)
        .every((p) => p.IP === '127.0.0.1'),
    );
    const port = published.find((p) => p.PrivatePort === 8081)!.PublicPort;
    let body = '';
    for (let i = 0; i < 50 && !body.includes('ingress-ok'); i++) {
      body = await fetch(`http://127.0.0.1:${port}/index.html`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.text(),
        () => '',
      );
      if (!body.includes('ingress-ok')) await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(body, /ingress-ok/);
  });

  test('seccomp: a JSON profile denies what it lists, unconfined turns filtering off', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cf-seccomp-'));
    try {
      const profile = join(dir, 'deny-mkdir.json');
      await writeFile(
        profile,
        JSON.stringify({
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
        }),
      );
      const mk = (runtime: string, seccomp: string) =>
        desired({
          stack,
          runtime,
          image: BUSYBOX_IMAGE,
          command: ['/bin/sleep', '900'],
          transport: { type: 'stdio' },
          guardrails: { ...PRESETS.unrestricted, seccomp },
        });
      const outs = await Promise.all(
        [mk('sc-file', profile), mk('sc-off', 'unconfined')].map((d) =>
          backend.apply(backend.plan(d, undefined), applyContext(stack)),
        ),
      );
      for (const o of outs) assert.is(o.status, 'created', JSON.stringify(o.diags));
      const filtered = await sh(
        outs[0].observed!.native!.containerId as string,
        'mkdir /tmp/d; echo rc=$?; grep Seccomp: /proc/self/status',
      );
      assert.match(filtered.out, /Operation not permitted/);
      assert.match(filtered.out, /rc=1/);
      const off = await sh(
        outs[1].observed!.native!.containerId as string,
        'mkdir /tmp/d && echo made; grep Seccomp: /proc/self/status',
      );
      assert.match(off.out, /made/);
      assert.match(off.out, /Seccomp:\s+0/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // Last on purpose: the killed sleeps stay as zombies (PID 1 is sleep, which does not reap),
  // holding the restricted probe at its pid limit, so no later exec could start there.
  test('max_pids: a fork bomb stops at the limit (restricted 50); unrestricted spawns them all', async () => {
    const bomb =
      "sh -c 'n=0; while [ $n -lt 80 ]; do sleep 31 & n=$((n+1)); done; echo spawned-all'; " +
      'read cur < /sys/fs/cgroup/pids/pids.current; read max < /sys/fs/cgroup/pids/pids.max; echo current=$cur max=$max; kill -9 -1';
    const r = await sh(id('restricted'), bomb, 30_000);
    assert.match(r.out, /can't fork/);
    assert.not.match(r.out, /spawned-all/);
    assert.match(r.out, /max=50/);
    const cur = Number(/current=(\d+)/.exec(r.out)?.[1]);
    assert.ok(cur <= 50 && cur >= 40, `pids.current ${cur}`);
    const open = await sh(id('unrestricted'), bomb, 30_000);
    assert.match(open.out, /spawned-all/);
    assert.match(open.out, /max=max/);
  });

  test.run();
}
