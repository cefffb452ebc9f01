// Pure parts of the Code Engine backend: the name scheme (stack prefix + hash, ownership), the
// cpu/memory mapping onto the combinations table, desired vs live managed fields (a round trip
// through an app prototype is a no-op), plan reasons (config change, console drift, hash-only
// change, source moved) and the minimal merge patch.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  appName,
  runtimeOfApp,
  runtimeOfSecret,
  secretName,
  stackPrefix,
  stackSlug,
} from '../../../src/backends/code-engine/names.js';
import { ceResources, canonicalMemory, canonicalCpu } from '../../../src/backends/code-engine/resources.js';
import { appPrototype, desiredApp, liveApp, mergePatch } from '../../../src/backends/code-engine/desired-app.js';
import { diffApp } from '../../../src/backends/code-engine/diff.js';
import type { App } from '../../../src/backends/code-engine/types.js';
import type { CodeEngineBackend } from '../../../src/generated/config.js';
import type { DesiredResource, ObservedResource } from '../../../src/model/resources.js';
import { secretDigest } from '../../../src/model/canonical.js';

const STACK = 'Demo_Stack';
const config: CodeEngineBackend = { type: 'ibm_code_engine', region: 'us-south', project_id: 'p', api_key: 'k' };

function desired(over: Partial<DesiredResource['spec']> = {}, secret = 'v1'): DesiredResource {
  return {
    address: 'runtime.web',
    runtime: 'web',
    backend: 'ce',
    backendType: 'ibm_code_engine',
    spec: {
      catalog: 'echo',
      source: { type: 'docker', image: 'icr.io/ns/echo:1', args: ['serve'], pull: 'missing' },
      transport: { type: 'streamable-http', port: 3001, path: '/mcp' },
      env: { LEVEL: 'info' },
      secretDigests: { TOKEN: secretDigest({ stack: STACK, runtime: 'web', name: 'TOKEN', value: secret }) },
      guardrails: {
        profile: 'p',
        egressAllowed: true,
        allowedHosts: [],
        ingressPorts: [],
        readOnlyRoot: false,
        allowedMounts: [],
        dropAll: false,
        capAdd: [],
        maxCpu: 0.125,
        maxMemory: 256 * 1024 ** 2,
        strict: false,
      },
      scale: { min: 1 },
      visibility: 'private',
      restart: 'unless-stopped',
      labels: {},
      ...over,
    },
    secretEnv: { TOKEN: secret },
    specHash: 'sha256:one',
    dependsOn: [],
    diagnostics: [],
  };
}

/** What the emulator would echo for a prototype: defaults filled in. */
function echo(
  d: DesiredResource,
  mutate: (a: App) => void = () => undefined,
): { app: App; observed: ObservedResource } {
  const w = desiredApp({ desired: d, config, image: (d.spec.source as { image: string }).image }).value!;
  const proto = appPrototype({
    name: appName(STACK, 'web'),
    stack: STACK,
    app: w,
    specHash: d.specHash,
    secretName: secretName(STACK, 'web'),
  });
  const app = {
    run_as_user: 0,
    scale_initial_instances: 1,
    scale_ephemeral_storage_limit: '400M',
    status: 'ready',
    status_details: {},
    entity_tag: '1',
    ...structuredClone(proto),
    probe_readiness: { type: 'tcp', interval: 10, timeout: 1, failure_threshold: 1 },
  } as unknown as App;
  mutate(app);
  const live = liveApp({
    app,
    stack: STACK,
    runtime: 'web',
    secret: { name: secretName(STACK, 'web'), data: { TOKEN: 'v1' } },
  });
  return {
    app,
    observed: {
      address: 'runtime.web',
      runtime: 'web',
      backend: 'ce',
      live: live.value as never,
      specHash: live.specHash,
      status: 'running',
      native: { app: app.name },
    },
  };
}

test('names: a readable stack slug plus a hash; ownership parsed back', () => {
  assert.is(stackSlug('Demo_Stack'), 'demo-stack');
  assert.match(stackPrefix('Demo_Stack'), /^demo-stack-[0-9a-f]{4}-$/);
  assert.is.not(stackPrefix('demo-stack'), stackPrefix('Demo_Stack'), 'colliding slugs differ by hash');
  assert.is(stackSlug('9lives'), 's9lives');
  assert.ok(stackSlug('x'.repeat(80)).length <= 20);
  assert.is(runtimeOfApp(STACK, appName(STACK, 'web')), 'web');
  assert.is(runtimeOfApp('demo-stack', appName(STACK, 'web')), undefined);
  assert.is(runtimeOfSecret(STACK, secretName(STACK, 'web')), 'web');
  assert.is(runtimeOfSecret(STACK, appName(STACK, 'web')), undefined);
});

test('cpu/memory onto the combinations table', () => {
  assert.equal(ceResources(0.125, 256 * 1024 ** 2), { ok: true, cpu: '0.125', memory: '250M' });
  assert.equal(ceResources(undefined, undefined), { ok: true, cpu: '1', memory: '4G' });
  assert.equal(ceResources(0.5, 1e9), { ok: true, cpu: '0.5', memory: '1G' });
  assert.is(ceResources(0.25, 4e9).ok, false);
  assert.is(ceResources(3, 8e9).ok, false);
  assert.is(canonicalMemory('1024M'), '1.024G');
  assert.is(canonicalMemory('0.5G'), '500M');
  assert.is(canonicalCpu('500m'), '0.5');
});

test('a live app echoing our prototype is a no-op; the secret value never enters the view', () => {
  const d = desired();
  const { observed } = echo(d);
  assert.not.ok(JSON.stringify(observed).includes('"v1"'));
  const c = diffApp({
    backend: 'ce',
    desired: d,
    observed,
    want: desiredApp({ desired: d, config, image: 'icr.io/ns/echo:1' }).value,
  });
  assert.is(c.action, 'noop', JSON.stringify(c.fields));
});

test('reasons: config change, console drift, hash-only change, source moved, failed app', () => {
  const d = desired();
  const want = (x: DesiredResource, image = 'icr.io/ns/echo:1') => desiredApp({ desired: x, config, image }).value;
  // config change: new hash and new values
  const d2 = { ...desired({ scale: { min: 2, max: 4 } }), specHash: 'sha256:two' };
  const c1 = diffApp({ backend: 'ce', desired: d2, observed: echo(d).observed, want: want(d2) });
  assert.is(c1.reason, 'update:scale-changed');
  assert.equal(
    c1.fields.map((f) => [f.path, f.before, f.after]),
    [
      ['scale.max', 10, 4],
      ['scale.min', 1, 2],
    ],
  );
  // console edit: same hash, different live values
  const edited = echo(d, (a) => (a.scale_memory_limit = '1G')).observed;
  const c2 = diffApp({ backend: 'ce', desired: d, observed: edited, want: want(d) });
  assert.is(c2.reason, 'update:drift-edited');
  assert.equal(
    c2.fields.map((f) => [f.path, f.before, f.after]),
    [['resources.memory', '1G', '250M']],
  );
  // the secret edited in the console: sensitive drift
  const sObs = echo(d).observed;
  (sObs.live as Record<string, unknown>).secretDigests = { TOKEN: 'sha256:other' };
  const c3 = diffApp({ backend: 'ce', desired: d, observed: sObs, want: want(d) });
  assert.is(c3.reason, 'update:drift-edited');
  assert.equal(
    c3.fields.map((f) => [f.path, f.before, f.after, f.sensitive]),
    [['env.TOKEN', '(sensitive)', '(sensitive)', true]],
  );
  // only a setting Code Engine ignores changed: the hash is refreshed in place
  const c4 = diffApp({
    backend: 'ce',
    desired: { ...d, specHash: 'sha256:labels' },
    observed: echo(d).observed,
    want: want(d),
  });
  assert.is(c4.action, 'update');
  assert.is(c4.reason, 'update:spec-changed');
  // a GitHub source whose branch moved: image-changed with a build step, even with the same hash
  const c5 = diffApp({
    backend: 'ce',
    desired: d,
    observed: echo(d).observed,
    want: want(d, 'icr.io/ns/echo:abcdef123456'),
    built: true,
  });
  assert.is(c5.reason, 'update:image-changed');
  assert.equal(c5.steps, ['build']);
  // visibility and env: in place, never replace
  const d6 = { ...desired({ visibility: 'public', env: { LEVEL: 'debug' } }), specHash: 'sha256:six' };
  const c6 = diffApp({ backend: 'ce', desired: d6, observed: echo(d).observed, want: want(d6) });
  assert.is(c6.action, 'update');
  assert.ok(c6.fields.every((f) => !f.forcesReplace));
  // a failed app with the right config: no-op with a warning
  const failed = {
    ...echo(d).observed,
    status: 'failed' as const,
    native: { app: 'x', appStatus: 'failed', reason: 'container_failed_exit_code_1' },
  };
  const c7 = diffApp({ backend: 'ce', desired: d, observed: failed, want: want(d) });
  assert.is(c7.action, 'noop');
  assert.ok(c7.diagnostics.some((x) => x.code === 'ce.app-failed'));
  // nothing live: create; not desired: delete
  assert.is(diffApp({ backend: 'ce', desired: d, observed: undefined, want: want(d) }).action, 'create');
  assert.is(diffApp({ backend: 'ce', desired: undefined, observed: echo(d).observed }).action, 'delete');
});

test('merge patch: only the differing fields; null clears an image secret we no longer set', () => {
  const d = desired();
  const w = desiredApp({ desired: d, config, image: 'icr.io/ns/echo:1' }).value!;
  const proto = appPrototype({
    name: 'n',
    stack: STACK,
    app: w,
    specHash: d.specHash,
    secretName: secretName(STACK, 'web'),
  });
  const { app } = echo(d, (a) => {
    a.scale_max_instances = 7;
    a.image_secret = 'someone-elses';
  });
  assert.equal(mergePatch(app, proto), { scale_max_instances: 10, image_secret: null });
  assert.is(
    mergePatch(
      echo(d).app,
      appPrototype({ name: 'n', stack: STACK, app: w, specHash: d.specHash, secretName: secretName(STACK, 'web') }),
    ),
    null,
  );
});

test.run();
