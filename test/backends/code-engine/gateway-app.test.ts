// The deployed gateway's view in the Code Engine backend, without a service: config compiled by
// the real loader into gateway.deploy, its desired app against the app and secret apply would
// write (a round trip through the prototype and observe's grouping is a no-op), the upstream
// list compared by runtime (a URL to another app shows), the token only as a digest, and the
// gateway app observed at gateway.deploy, never as a runtime.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/index.js';
import { compileDesired } from '../../../src/plan/desired.js';
import { appPrototype } from '../../../src/backends/code-engine/desired-app.js';
import { diffApp } from '../../../src/backends/code-engine/diff.js';
import { gatewayPrototype, gatewaySecretData, UPSTREAMS_ENV } from '../../../src/backends/code-engine/gateway-app.js';
import { appName, secretName } from '../../../src/backends/code-engine/names.js';
import { groupStack } from '../../../src/backends/code-engine/observe.js';
import { wantApp } from '../../../src/backends/code-engine/source-image.js';
import type { App, Secret } from '../../../src/backends/code-engine/types.js';
import type { CodeEngineBackend } from '../../../src/generated/config.js';
import type { DesiredResource } from '../../../src/model/resources.js';

const TOKEN = 'gateway-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'cf-ce-gw-'));

async function compiled(deployExtra = ''): Promise<{ d: DesiredResource; config: CodeEngineBackend; stack: string }> {
  const file = join(dir, 'contextforge.yaml');
  writeFileSync(
    file,
    `name: gwunit
backends:
  ce: { type: ibm_code_engine, region: us-south, project_id: p, api_key: test-api-key-0000 }
catalog:
  - name: Echo
    slug: echo
    source: { type: docker, image: "icr.io/x/echo:1" }
    transport: { type: streamable-http, port: 3001, path: /mcp }
  - name: Events
    slug: events
    source: { type: docker, image: "icr.io/x/events:1" }
    transport: { type: sse, port: 3001 }
runtimes:
  - { name: one, catalog: echo, backend: ce, visibility: project }
  - { name: two, catalog: events, backend: ce, visibility: project }
gateway:
  deploy:
    backend: ce
    image: icr.io/x/gateway:1
    token: ${TOKEN}
${deployExtra}`,
  );
  const r = await loadConfig(file);
  assert.ok(r.value, JSON.stringify(r.diags));
  const desired = compileDesired(r.value!).value!;
  const d = desired.find((x) => x.address === 'gateway.deploy')!;
  assert.ok(d, 'gateway.deploy is compiled');
  return { d, config: r.value!.backends.ce as CodeEngineBackend, stack: r.value!.stack };
}

/** What apply writes and observe reads back: the app and the secret, as the service returns them. */
function written(d: DesiredResource, config: CodeEngineBackend, stack: string, urls: Record<string, string>) {
  const want = wantApp({ config }, d).app!;
  const sName = secretName(stack, 'gateway');
  const upstreams = (d.spec.gatewayUpstreams ?? []).map((u) => ({
    name: u.runtime,
    url: `${urls[u.runtime] ?? `http://${appName(stack, u.runtime)}.abcd1234.svc.cluster.local`}${u.path}`,
    transport: u.transport,
  }));
  const proto = gatewayPrototype(
    appPrototype({ name: appName(stack, 'gateway'), stack, app: want, specHash: d.specHash, secretName: sName }),
    sName,
  );
  const app = { ...proto, entity_tag: '1', status: 'ready', endpoint: 'https://gw.example' } as unknown as App;
  const secret = { name: sName, format: 'generic', data: gatewaySecretData({ d, stack, upstreams }) } as Secret;
  return { want, app, secret };
}

test('gateway.deploy compiles to one resource that depends on the runtimes it serves, token as a digest only', async () => {
  const { d } = await compiled();
  assert.equal(d.dependsOn, ['runtime.one', 'runtime.two']);
  assert.equal(d.spec.gatewayUpstreams, [
    { runtime: 'one', transport: 'streamable-http', path: '/mcp' },
    { runtime: 'two', transport: 'sse', path: '/sse' },
  ]);
  assert.equal(Object.keys(d.spec.secretDigests), ['CONTEXTFORGE_GATEWAY_TOKEN']);
  assert.not.ok(JSON.stringify(d.spec).includes(TOKEN), 'the spec holds no token');
  const only = await compiled('    runtimes: [two]');
  assert.equal(only.d.dependsOn, ['runtime.two']);
  assert.is.not(only.d.specHash, d.specHash);
});

test('what apply writes observes back as a no-op at gateway.deploy; observe never reports it as a runtime', async () => {
  const { d, config, stack } = await compiled();
  const { want, app, secret } = written(d, config, stack, {});
  const snap = groupStack({ stack, backend: 'ce', apps: [app], secrets: [secret] });
  assert.equal(
    snap.observed.map((o) => o.address),
    ['gateway.deploy'],
  );
  const o = snap.observed[0];
  assert.is(o.endpoint?.url, 'https://gw.example/mcp');
  assert.not.ok(JSON.stringify(o).includes(TOKEN), 'the observed resource holds no token');
  const c = diffApp({ backend: 'ce', desired: d, observed: o, want });
  assert.is(c.action, 'noop', JSON.stringify(c.fields));
});

test('an upstream list that points elsewhere, a missing upstream or another token is an update', async () => {
  const { d, config, stack } = await compiled();
  const wrong = written(d, config, stack, { one: 'http://someone-else.abcd1234.svc.cluster.local' });
  const o1 = groupStack({ stack, backend: 'ce', apps: [wrong.app], secrets: [wrong.secret] }).observed[0];
  const c1 = diffApp({ backend: 'ce', desired: d, observed: o1, want: wrong.want });
  assert.is(c1.action, 'update');
  assert.equal(
    c1.fields.map((f) => f.path),
    ['upstreams.one'],
  );
  assert.is(c1.reason, 'update:drift-edited', 'same spec hash: an edit made outside contextforge');

  const { d: fewer } = await compiled('    runtimes: [one]');
  const full = written(d, config, stack, {});
  const o2 = groupStack({ stack, backend: 'ce', apps: [full.app], secrets: [full.secret] }).observed[0];
  const c2 = diffApp({ backend: 'ce', desired: fewer, observed: o2, want: wantApp({ config }, fewer).app });
  assert.is(c2.reason, 'update:upstreams-changed');
  assert.equal(
    c2.fields.map((f) => [f.path, f.before, f.after]),
    [['upstreams.two', 'sse /sse', undefined]],
  );

  const other = {
    ...full.secret,
    data: { ...full.secret.data!, CONTEXTFORGE_GATEWAY_TOKEN: 'another-token-000000000' },
  };
  const o3 = groupStack({ stack, backend: 'ce', apps: [full.app], secrets: [other] }).observed[0];
  const c3 = diffApp({ backend: 'ce', desired: d, observed: o3, want: full.want });
  assert.equal(
    c3.fields.map((f) => [f.path, f.sensitive]),
    [['env.CONTEXTFORGE_GATEWAY_TOKEN', true]],
  );
  assert.not.ok(JSON.stringify(c3.fields).includes('another-token'), 'digests, never values');
  assert.ok(full.secret.data![UPSTREAMS_ENV].includes('.svc.cluster.local/mcp'));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
