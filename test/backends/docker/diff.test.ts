// Pure parts of the Docker backend, no daemon: the diff's actions, reasons and field lines, the
// registry allow-list, the egress allow-list matcher, the HostConfig compiled from guardrails,
// and the log frame decoder.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diffRuntime } from '../../../src/backends/docker/diff.js';
import { EDGE_PROGRAM, hostAllowed } from '../../../src/backends/docker/egress-proxy.js';
import { compileRuntime, topologyOf } from '../../../src/backends/docker/guardrails.js';
import { checkRegistry, parseImageRef, qualifiedRepository } from '../../../src/backends/docker/images.js';
import { dockerHash, LABEL, mainContainerLabels, managedSpec } from '../../../src/backends/docker/labels.js';
import { FrameDecoder } from '../../../src/backends/docker/logs.js';
import { validateDesired } from '../../../src/backends/docker/validate.js';
import { daemonFailure, isUnreachable } from '../../../src/backends/docker/errors.js';
import type { DesiredResource, ObservedResource } from '../../../src/model/resources.js';
import { desired, PRESETS } from './fixtures.js';

const SECRET = 'tok-3f9a1c-very-secret';

function base(over: Parameters<typeof desired>[0] extends infer T ? Partial<T> : never = {}): DesiredResource {
  return desired({
    stack: 'demo',
    runtime: 'search',
    image: 'ghcr.io/acme/search:1.0',
    env: { LOG: 'info' },
    secrets: { TOKEN: SECRET },
    ...over,
  });
}

/** What observe reports for a container created from `d` and left alone. */
function observedFrom(
  d: DesiredResource,
  extra: Partial<ObservedResource> = {},
  live: Record<string, unknown> = {},
): ObservedResource {
  const spec = managedSpec(d)!;
  return {
    address: d.address,
    runtime: d.runtime,
    backend: d.backend,
    specHash: d.specHash,
    status: 'running',
    live: {
      docker: spec,
      dockerHash: dockerHash(spec, d.spec.secretDigests),
      imageId: 'sha256:aaa',
      imageCurrentId: 'sha256:aaa',
      listDrift: [],
      edgePresent: true,
      edgeRunning: true,
      ...live,
    },
    native: { containerId: 'c1', state: 'running', extraContainers: [] },
    ...extra,
  };
}

test('no observed resource is a create:new; observed without container is create:drift-missing', () => {
  const d = base();
  const c = diffRuntime({ desired: d, observed: undefined, backend: 'local' });
  assert.is(c.action, 'create');
  assert.is(c.reason, 'create:new');
  const secret = c.fields.find((f) => f.path === 'secretEnv.TOKEN');
  assert.ok(secret?.sensitive);
  assert.is(secret?.after, '(sensitive)');
  const missing = diffRuntime({
    desired: d,
    observed: { ...observedFrom(d), status: 'missing', live: {} },
    backend: 'local',
  });
  assert.is(missing.reason, 'create:drift-missing');
});

test('an unchanged runtime is a noop', () => {
  const d = base();
  const c = diffRuntime({ desired: d, observed: observedFrom(d), backend: 'local' });
  assert.is(c.action, 'noop');
  assert.equal(c.fields, []);
});

test('env, image and guardrail edits are replaces with their reason and before/after', () => {
  const d = base();
  const env = diffRuntime({ desired: base({ env: { LOG: 'debug' } }), observed: observedFrom(d), backend: 'local' });
  assert.is(env.action, 'replace');
  assert.is(env.reason, 'replace:env-changed');
  assert.equal(env.fields, [{ path: 'env.LOG', before: 'info', after: 'debug', forcesReplace: true }]);

  const image = diffRuntime({
    desired: base({ image: 'ghcr.io/acme/search:1.1' }),
    observed: observedFrom(d),
    backend: 'local',
  });
  assert.is(image.reason, 'replace:image-changed');
  assert.is(image.fields[0].before, 'ghcr.io/acme/search:1.0');

  const g = diffRuntime({
    desired: base({ guardrails: { maxPids: 10 } }),
    observed: observedFrom(d),
    backend: 'local',
  });
  assert.is(g.reason, 'replace:guardrails-changed');
  assert.equal(
    g.fields.map((f) => f.path),
    ['guardrails.maxPids'],
  );
});

test('a changed secret value is a replace whose fields are sensitive and show no value', () => {
  const d = base();
  const c = diffRuntime({
    desired: base({ secrets: { TOKEN: 'another-secret-value' } }),
    observed: observedFrom(d),
    backend: 'local',
  });
  assert.is(c.action, 'replace');
  assert.is(c.reason, 'replace:env-changed');
  assert.ok(c.fields.every((f) => f.sensitive));
  const text = JSON.stringify(c.fields);
  assert.not.ok(text.includes(SECRET));
  assert.not.ok(text.includes('another-secret-value'));
});

test('drift: stopped → update, tag moved → replace:image-changed, hand edits → replace:drift-edited', () => {
  const d = base();
  assert.is(
    diffRuntime({ desired: d, observed: observedFrom(d, { status: 'exited' }), backend: 'local' }).reason,
    'update:drift-stopped',
  );
  assert.is(
    diffRuntime({ desired: d, observed: observedFrom(d, {}, { imageCurrentId: 'sha256:bbb' }), backend: 'local' })
      .reason,
    'replace:image-changed',
  );
  const edited = diffRuntime({
    desired: d,
    observed: observedFrom(d, {}, { listDrift: ['network bridge'] }),
    backend: 'local',
  });
  assert.is(edited.reason, 'replace:drift-edited');
  assert.is(
    diffRuntime({ desired: d, observed: observedFrom(d, {}, { edgePresent: false }), backend: 'local' }).reason,
    'update:drift-edge-missing',
  );
  const noLabel = diffRuntime({ desired: d, observed: observedFrom(d, {}, { docker: undefined }), backend: 'local' });
  assert.is(noLabel.reason, 'replace:drift-edited');
});

test('a rebuilt image plus an env edit lists both and names both causes (issue 19)', () => {
  const d = base();
  const edited = base({ env: { LOG: 'debug' } });
  const c = diffRuntime({
    desired: edited,
    observed: observedFrom(d, {}, { imageCurrentId: 'sha256:bbb' }),
    backend: 'local',
  });
  assert.is(c.action, 'replace');
  assert.equal(c.reasons, ['replace:image-changed', 'replace:env-changed']);
  assert.equal(
    c.fields.map((f) => f.path),
    ['imageId', 'env.LOG'],
  );
  // A secret value changed together with a plain one: the secret is listed too (sensitive).
  const both = diffRuntime({
    desired: base({ env: { LOG: 'debug' }, secrets: { TOKEN: `${SECRET}-rotated` } }),
    observed: observedFrom(d),
    backend: 'local',
  });
  assert.equal(
    both.fields.map((f) => [f.path, f.after]),
    [
      ['env.LOG', 'debug'],
      ['secretEnv.TOKEN', '(sensitive)'],
    ],
  );
  assert.not.ok(JSON.stringify(both.fields).includes(SECRET));
});

test('a runtime no longer desired is a delete:not-in-config', () => {
  const d = base();
  const c = diffRuntime({ desired: undefined, observed: observedFrom(d), backend: 'local' });
  assert.is(c.action, 'delete');
  assert.is(c.reason, 'delete:not-in-config');
});

test('labels carry the managed spec but no secret value', () => {
  const d = base();
  const labels = mainContainerLabels(d, 'demo', managedSpec(d)!);
  assert.is(labels[LABEL.managedBy], 'contextforge');
  assert.is(labels[LABEL.stack], 'demo');
  assert.is(labels[LABEL.address], 'runtime.search');
  assert.is(labels[LABEL.specHash], d.specHash);
  assert.ok(JSON.parse(labels[LABEL.spec]).secretNames.includes('TOKEN'));
  assert.not.ok(JSON.stringify(labels).includes(SECRET));
});

test('image references and the registry allow-list', () => {
  assert.equal(parseImageRef('127.0.0.1:5000/mcp/x:1'), {
    registry: '127.0.0.1:5000',
    repository: 'mcp/x',
    tag: '1',
    digest: undefined,
  });
  assert.is(qualifiedRepository(parseImageRef('nginx')), 'docker.io/library/nginx');
  assert.is(parseImageRef('contextforge-fixture/busybox:latest').registry, undefined);
  const policy = { allowedRegistries: ['127.0.0.1:5000', 'docker.io/mcp'], allowLocalImages: false };
  assert.is(checkRegistry('127.0.0.1:5000/a/b:1', policy), undefined);
  assert.is(checkRegistry('mcp/filesystem:1', policy), undefined);
  assert.is(checkRegistry('ghcr.io/evil/x:1', policy)?.code, 'docker.registry-not-allowed');
  assert.is(checkRegistry('library/nginx', policy)?.code, 'docker.registry-not-allowed');
  assert.is(checkRegistry('contextforge-fixture/busybox:latest', { ...policy, allowLocalImages: true }), undefined);
  assert.is(checkRegistry('ghcr.io/x/y', { allowedRegistries: [], allowLocalImages: false }), undefined);
});

test('validate: unsupported sources, ports outside ingress_ports, forbidden mounts, host port clash', () => {
  const cfg = { type: 'docker' as const, allowed_registries: ['ghcr.io'] };
  const codes = (ds: DesiredResource[]): string[] => validateDesired('local', cfg, ds).map((x) => x.code);
  assert.equal(codes([base({ source: { type: 'command', command: 'x', args: [] } })]), ['docker.source-unsupported']);
  // Compose runs on Docker (compose-*.ts): a file outside the subset is refused, a valid one passes.
  assert.equal(
    codes([base({ source: { type: 'compose', composeFile: 'x', inline: true, mainService: 'a', baseDir: '/' } })]),
    ['compose.invalid'],
  );
  assert.equal(
    codes([
      base({
        source: {
          type: 'compose',
          composeFile: 'services:\n  a:\n    image: ghcr.io/x/a:1\n',
          inline: true,
          mainService: 'a',
          baseDir: '/',
        },
      }),
    ]),
    [],
  );
  assert.equal(codes([base({ image: 'quay.io/x/y' })]), ['docker.registry-not-allowed']);
  assert.equal(codes([base({ guardrails: { ingressPorts: [8080] } })]), ['docker.port-not-allowed']);
  assert.equal(codes([base({ guardrails: { allowedMounts: ['/etc'] } })]), ['docker.mount-not-allowed']);
  assert.equal(
    codes([base({ hostPort: 18000 }), desired({ stack: 'demo', runtime: 'b', image: 'ghcr.io/a/b', hostPort: 18000 })]),
    ['docker.host-port-conflict'],
  );
  assert.equal(codes([base()]), []);
});

test('HostConfig compiled from each preset', () => {
  const compile = (g: keyof typeof PRESETS, transport?: Parameters<typeof desired>[0]['transport']) => {
    const d = base({
      guardrails: PRESETS[g],
      transport: transport ?? { type: 'streamable-http', port: 8080, path: '/mcp' },
    });
    return compileRuntime({
      desired: d,
      spec: managedSpec(d)!,
      stack: 'demo',
      backendName: 'local',
      publishHost: '127.0.0.1',
      apparmorAvailable: false,
    });
  };
  const open = compile('unrestricted');
  assert.is(open.topology, 'open');
  assert.is(open.main.HostConfig?.NetworkMode, 'contextforge-demo');
  assert.equal(open.main.HostConfig?.PortBindings, { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
  assert.equal(open.main.HostConfig?.SecurityOpt, ['no-new-privileges:true']);
  assert.is(open.edge, undefined);

  const std = compile('standard');
  assert.is(std.topology, 'internal');
  assert.is(std.main.HostConfig?.NetworkMode, 'contextforge-demo-search-internal');
  assert.is(std.main.HostConfig?.PortBindings, undefined);
  assert.ok(std.main.Env?.includes('HTTPS_PROXY=http://cf-demo-search-edge:3128'));
  assert.equal(std.main.HostConfig?.CapDrop, ['ALL']);
  assert.equal(std.main.HostConfig?.CapAdd, ['NET_BIND_SERVICE']);
  assert.is(std.main.HostConfig?.ReadonlyRootfs, true);
  assert.ok(std.main.HostConfig?.Tmpfs?.['/tmp']);
  assert.equal(
    std.main.HostConfig?.Mounts?.map((m) => m.Target),
    ['/data', '/cache'],
  );
  assert.is(std.main.HostConfig?.NanoCpus, 500_000_000);
  assert.is(std.main.HostConfig?.Memory, 512 * 1024 * 1024);
  assert.is(std.main.HostConfig?.MemorySwap, 512 * 1024 * 1024);
  assert.is(std.main.HostConfig?.PidsLimit, 100);
  assert.ok(std.edge?.Env?.includes('CF_ALLOWED_HOSTS=["*.googleapis.com","api.openai.com","api.anthropic.com"]'));

  const restricted = compile('restricted');
  assert.is(restricted.topology, 'internal');
  assert.not.ok(restricted.main.Env?.some((e) => e.startsWith('HTTP_PROXY')));
  assert.not.ok(restricted.edge?.Env?.some((e) => e.startsWith('CF_PROXY_PORT')));
  assert.equal(restricted.edge?.HostConfig?.Sysctls, {
    'net.ipv4.ip_forward': '0',
    'net.ipv4.ip_unprivileged_port_start': '0',
  });
  assert.equal(restricted.edge?.HostConfig?.CapDrop, ['ALL']);
  assert.is(restricted.edge?.HostConfig?.ReadonlyRootfs, true);
  // The host has no AppArmor here: the option is left out rather than sent to a daemon that would ignore it.
  assert.not.ok(restricted.main.HostConfig?.SecurityOpt?.some((o: string) => o.startsWith('apparmor')));

  const air = compile('airgapped', { type: 'stdio' });
  assert.is(air.topology, 'none');
  assert.is(air.main.HostConfig?.NetworkMode, 'none');
  assert.is(air.main.OpenStdin, true);
  assert.is(air.main.Tty, false);
  assert.is(
    topologyOf(
      managedSpec(base({ guardrails: PRESETS.airgapped, transport: { type: 'streamable-http', port: 8080 } }))!,
    ),
    'internal',
  );
});

test('egress allow-list patterns, and the sidecar program agrees with them', () => {
  const cases: Array<[string, string[], boolean]> = [
    ['api.openai.com', ['api.openai.com'], true],
    ['API.OpenAI.com.', ['api.openai.com'], true],
    ['evil.com', ['api.openai.com'], false],
    ['storage.googleapis.com', ['*.googleapis.com'], true],
    ['a.b.googleapis.com', ['*.googleapis.com'], true],
    ['googleapis.com', ['*.googleapis.com'], false],
    ['xgoogleapis.com', ['*.googleapis.com'], false],
    ['anything', ['*'], true],
    ['anything', [], false],
  ];
  const fromProgram = new Function(
    `${/function hostAllowed[\s\S]*?\n}\n/.exec(EDGE_PROGRAM)![0]}; return hostAllowed;`,
  )() as typeof hostAllowed;
  for (const [host, patterns, expected] of cases) {
    assert.is(hostAllowed(host, patterns), expected, `${host} vs ${patterns.join(',')}`);
    assert.is(fromProgram(host, patterns), expected, `program: ${host} vs ${patterns.join(',')}`);
  }
});

test('frame decoder splits stdout and stderr frames into lines', () => {
  const frame = (stream: number, text: string): Buffer => {
    const body = Buffer.from(text);
    const h = Buffer.alloc(8);
    h[0] = stream;
    h.writeUInt32BE(body.length, 4);
    return Buffer.concat([h, body]);
  };
  const d = new FrameDecoder();
  const all = Buffer.concat([frame(1, 'one\ntw'), frame(2, 'err\n'), frame(1, 'o\nthree')]);
  const lines = [...d.push(all.subarray(0, 5)), ...d.push(all.subarray(5)), ...d.flush()];
  assert.equal(lines, ['one', 'err', 'two', 'three']);
});

test('daemon failures: transient ones are retryable, unreachable is its own diagnostic, secrets are scrubbed', () => {
  const target = { where: '/run/x.sock' };
  const f = (err: unknown) =>
    daemonFailure(err, { target, action: 'creating container', address: 'runtime.a', secrets: [SECRET] });
  assert.is(f(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).retryable, true);
  assert.is(f({ statusCode: 500, json: { message: 'driver failed' } }).retryable, true);
  assert.is(
    f({ statusCode: 409, json: { message: 'removal of container abc is already in progress' } }).retryable,
    true,
  );
  assert.is(
    f({ statusCode: 409, json: { message: 'Conflict. The container name is already in use' } }).retryable,
    false,
  );
  assert.is(f({ statusCode: 400, json: { message: 'invalid reference format' } }).retryable, false);
  const refused = Object.assign(new Error('connect ECONNREFUSED /run/x.sock'), { code: 'ECONNREFUSED' });
  assert.ok(isUnreachable(refused));
  const u = f(refused);
  assert.is(u.diag.code, 'docker.unreachable');
  assert.match(u.diag.summary, /\/run\/x\.sock/);
  const leaky = f({ statusCode: 400, json: { message: `bad env value API_TOKEN=${SECRET}` } });
  assert.not.ok(JSON.stringify(leaky).includes(SECRET));
  assert.match(leaky.diag.summary, /\(sensitive\)/);
});

test.run();
