// The gateway deployed to Code Engine by `gateway.deploy` in contextforge.yaml, end to end
// through the CLI (plan, apply, status, destroy in child processes, the production client) on
// the emulator's Docker mode in realistic behaviour. Two upstream runtimes at `project`
// visibility (no endpoint, no host port: reachable only inside the emulated project), and the
// gateway app (the image built from this package by scripts/code-engine-gateway-image.mjs)
// reaching them over Code Engine's internal DNS, its bearer token from a Code Engine secret.
// The plan shows gateway.deploy like any resource (text, JSON, markdown); apply creates it; the
// next plan is a no-op; a change of its settings is an update; removing the key deletes it;
// destroy removes it; the token is in no output, no app and no state.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCodeEngineEmulator, type CodeEngineEmulator } from '../../src/emulators/code-engine/index.js';
import { EMULATOR_LABEL } from '../../src/emulators/code-engine/docker-runtime.js';
import { appName, secretName } from '../../src/backends/code-engine/index.js';
import { docker, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { EVERYTHING, ensureFixtureImages } from '../support/images.js';
import { connectStreamableHttp } from '../support/mcp.js';
import { CeStack, rawApi, yamlFor } from '../backends/code-engine/backend-support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RUNNER = "import { main } from './src/cli/main.ts'; process.exitCode = await main(process.argv.slice(1));";
const IMAGE = `${uniqueName('cftest-gateway/ce')}:1`;
const TOKEN = `gw-${randomBytes(12).toString('hex')}`;
const TOKEN2 = `gw2-${randomBytes(12).toString('hex')}`;
let enabled = false;
let emu: CodeEngineEmulator;

test.before(async () => {
  enabled = await requireDocker('gateway on code engine (emulator docker mode)');
  if (!enabled) return;
  await ensureFixtureImages();
  const built = spawnSync(process.execPath, [`${ROOT}scripts/code-engine-gateway-image.mjs`, IMAGE], {
    encoding: 'utf8',
  });
  assert.is(built.status, 0, built.stderr);
  emu = await startCodeEngineEmulator({ docker: true, log: () => undefined });
});

test.after(async () => {
  if (!enabled) return;
  await emu.close();
  await docker()
    .getImage(IMAGE)
    .remove({ force: true })
    .catch(() => undefined);
});

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', RUNNER, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

interface JsonChange {
  address: string;
  action: string;
  reason: string;
  reasons?: string[];
  fields: Array<{ path: string; before?: unknown; after?: unknown; sensitive?: boolean }>;
}

function jsonOf<T>(out: string): T {
  return JSON.parse(out.slice(out.indexOf('{'))) as T;
}

const deployLines = (opts: { runtimes?: string[] } = {}): string[] => [
  'gateway:',
  '  deploy:',
  '    backend: ce',
  `    image: ${IMAGE}`,
  '    token: ${CF_TEST_GATEWAY_TOKEN}',
  ...(opts.runtimes ? [`    runtimes: ${JSON.stringify(opts.runtimes)}`] : []),
];

/** Waits until the gateway lists (exactly) these runtimes' echo tools; returns the tool names. */
async function toolsThrough(endpoint: string, token: string, runtimes: string[]): Promise<string[]> {
  const client = await connectStreamableHttp(endpoint, { authorization: `Bearer ${token}` });
  try {
    const want = runtimes.map((rt) => `${rt}__${EVERYTHING.tools.echo}`);
    let names: string[] = [];
    const deadline = Date.now() + 90_000;
    // The gateway connects to its upstreams after it starts listening: wait for them.
    while (!want.every((n) => names.includes(n)) && Date.now() < deadline) {
      names = (await client.listTools()).tools.map((t) => t.name);
      if (!want.every((n) => names.includes(n))) await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(
      want.every((n) => names.includes(n)),
      names.join(','),
    );
    for (const rt of runtimes) {
      const r = (await client.callTool({
        name: `${rt}__${EVERYTHING.tools.echo}`,
        arguments: { message: `via the gateway app to ${rt}` },
      })) as { content: Array<{ text?: string }> };
      assert.match(r.content.map((c) => c.text ?? '').join(''), `via the gateway app to ${rt}`);
    }
    return names;
  } finally {
    await client.close();
  }
}

async function unauthorized(endpoint: string, token?: string): Promise<number> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    }),
  });
  await res.body?.cancel();
  return res.status;
}

test('gateway.deploy through the CLI: planned, applied, served over internal DNS, updated, removed, destroyed', async () => {
  if (!enabled) return skip('the Docker daemon does not answer');
  assert.is(emu.behaviour, 'realistic');
  const runtimes = [
    { name: 'one', visibility: 'project' as const, scale: { min: 1 } },
    { name: 'two', visibility: 'project' as const, scale: { min: 1 } },
  ];
  const s = new CeStack({ emu, pollMs: 200, runtimes });
  const pid = emu.projects[0].id;
  const f = ['-f', s.file];
  const env: Record<string, string> = { CF_TEST_GATEWAY_TOKEN: TOKEN };
  const outputs: string[] = [];
  const run = async (args: string[], e = env): Promise<{ code: number; out: string }> => {
    // Tool-surface discovery (a sandbox per runtime) is not what this test is about.
    const noDiscover = args[0] === 'plan' || args[0] === 'apply' ? ['--no-discover'] : [];
    const r = await cli([...args, ...noDiscover, ...f], e);
    outputs.push(r.out);
    return r;
  };
  const getApp = async (name: string) => rawApi(emu, 'GET', `/projects/${pid}/apps/${name}`);
  const gwApp = appName(s.stack, 'gateway');
  const gwSecret = secretName(s.stack, 'gateway');
  try {
    writeConfig(s, deployLines());

    // 1. plan shows the gateway app like any resource, in all three formats.
    const text = await run(['plan']);
    assert.is(text.code, 0, text.out);
    assert.match(text.out, /# gateway\.deploy will be created/, text.out);
    assert.match(text.out, /\+ gateway "deploy" \{/, text.out);
    assert.match(text.out, /upstreams\.one/, text.out);
    assert.not.match(
      text.out,
      /ce\.public-unprotected/,
      'project runtimes and the gateway app raise no exposure warning',
    );
    const md = await run(['plan', '--format', 'markdown']);
    assert.match(md.out, /gateway\.deploy/);
    const pj = await run(['plan', '--json']);
    assert.is(pj.code, 0, pj.out);
    const p1 = jsonOf<{ changes: JsonChange[] }>(pj.out).changes;
    const gwCreate = p1.find((c) => c.address === 'gateway.deploy');
    assert.ok(gwCreate, pj.out);
    assert.is(gwCreate!.action, 'create');
    const tokenField = gwCreate!.fields.find((x) => x.path === 'env.CONTEXTFORGE_GATEWAY_TOKEN');
    assert.ok(tokenField?.sensitive, JSON.stringify(gwCreate!.fields));
    assert.is(tokenField!.after, '(sensitive)');
    assert.equal(
      gwCreate!.fields.filter((x) => x.path.startsWith('upstreams.')).map((x) => [x.path, x.after]),
      [
        ['upstreams.one', 'streamable-http /mcp'],
        ['upstreams.two', 'streamable-http /mcp'],
      ],
    );
    assert.equal(p1.map((c) => c.action).sort(), ['create', 'create', 'create']);

    // 2. apply creates the runtimes first, then the gateway app.
    const ap = await run(['apply', '--auto-approve']);
    assert.is(ap.code, 0, ap.out);
    const gw = (await getApp(gwApp)).body as { endpoint?: string; status: string; run_env_variables: unknown[] };
    assert.is(gw.status, 'ready');
    assert.match(gw.endpoint ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.not.ok(JSON.stringify(gw).includes(TOKEN), 'the token is not in the app (a secret reference)');

    // The upstreams: no endpoint, no published port; an internal URL only.
    for (const rt of ['one', 'two']) {
      const app = (await getApp(appName(s.stack, rt))).body as { endpoint?: string; endpoint_internal: string };
      assert.is(app.endpoint, undefined, `${rt} has no endpoint outside the project`);
      assert.match(app.endpoint_internal, /\.svc\.cluster\.local(:\d+)?$/);
      const containers = await docker().listContainers({
        filters: JSON.stringify({ label: [`${EMULATOR_LABEL}.app=${appName(s.stack, rt)}`] }),
      });
      assert.is(containers.length, 1);
      assert.equal(
        containers[0].Ports.filter((p) => p.PublicPort),
        [],
        `${rt}: no port published on the host`,
      );
    }

    // status shows the gateway app with its endpoint, in sync.
    const st = await run(['status', '--json']);
    assert.is(st.code, 0, st.out);
    const rows = jsonOf<{ runtimes: Array<{ address: string; state: string; endpoint?: string; inSync: boolean }> }>(
      st.out,
    ).runtimes;
    const gwRow = rows.find((r) => r.address === 'gateway.deploy');
    assert.ok(gwRow, st.out);
    assert.is(gwRow!.state, 'running');
    assert.ok(gwRow!.inSync, st.out);
    assert.is(gwRow!.endpoint, `${gw.endpoint}/mcp`);
    const stText = await run(['status']);
    assert.match(stText.out, /gateway\.deploy\s+ce\s+running/);

    // 3. a client through the gateway app's endpoint lists and calls both upstreams' tools.
    const endpoint = gwRow!.endpoint!;
    assert.is(await unauthorized(endpoint), 401, 'the gateway app refuses callers without the token');
    await toolsThrough(endpoint, TOKEN, ['one', 'two']);

    // 4. the second plan is a no-op.
    const again = await run(['plan', '--detailed-exitcode']);
    assert.is(again.code, 0, again.out);

    // 5. a change of the gateway's settings (fewer runtimes, a new token) is an in-place update.
    writeConfig(s, deployLines({ runtimes: ['one'] }));
    const env2 = { CF_TEST_GATEWAY_TOKEN: TOKEN2 };
    const changed = await run(['plan', '--detailed-exitcode'], env2);
    assert.is(changed.code, 2, changed.out);
    const cj = await run(['plan', '--json'], env2);
    const upd = jsonOf<{ changes: JsonChange[] }>(cj.out).changes.find((c) => c.address === 'gateway.deploy')!;
    assert.is(upd.action, 'update', cj.out);
    assert.equal(upd.reasons, ['update:env-changed', 'update:upstreams-changed'], cj.out);
    assert.ok(
      upd.fields.some((x) => x.path === 'upstreams.two' && x.after === undefined),
      JSON.stringify(upd.fields),
    );
    assert.ok(upd.fields.some((x) => x.path === 'env.CONTEXTFORGE_GATEWAY_TOKEN' && x.sensitive));
    assert.ok(
      jsonOf<{ changes: JsonChange[] }>(cj.out)
        .changes.filter((c) => c.address !== 'gateway.deploy')
        .every((c) => c.action === 'noop'),
    );
    const ap2 = await run(['apply', '--auto-approve'], env2);
    assert.is(ap2.code, 0, ap2.out);
    const st2 = jsonOf<{ runtimes: Array<{ address: string; endpoint?: string }> }>(
      (await run(['status', '--json'], env2)).out,
    ).runtimes.find((r) => r.address === 'gateway.deploy')!;
    const names = await toolsThrough(st2.endpoint!, TOKEN2, ['one']);
    assert.not.ok(
      names.some((n) => n.startsWith('two__')),
      names.join(','),
    );
    assert.is(await unauthorized(st2.endpoint!, TOKEN), 401, 'the old token is refused');
    assert.is((await run(['plan', '--detailed-exitcode'], env2)).code, 0, 'no-op after the update');

    // 6. removing the key deletes the gateway app and its secret; the runtimes stay.
    writeConfig(s, []);
    const rm = await run(['plan', '--json'], {});
    const del = jsonOf<{ changes: JsonChange[] }>(rm.out).changes;
    assert.equal(
      del.map((c) => [c.address, c.action, c.reason]),
      [
        ['gateway.deploy', 'delete', 'delete:not-in-config'],
        ['runtime.one', 'noop', 'noop:up-to-date'],
        ['runtime.two', 'noop', 'noop:up-to-date'],
      ],
    );
    const ap3 = await run(['apply', '--auto-approve'], {});
    assert.is(ap3.code, 0, ap3.out);
    assert.is((await getApp(gwApp)).status, 404, 'the gateway app is gone');
    assert.is((await rawApi(emu, 'GET', `/projects/${pid}/secrets/${gwSecret}`)).status, 404, 'its secret too');
    assert.is((await getApp(appName(s.stack, 'one'))).status, 200);
    assert.is((await run(['plan', '--detailed-exitcode'], {})).code, 0);

    // 7. put back, then destroy removes it with the runtimes.
    writeConfig(s, deployLines());
    assert.is((await run(['apply', '--auto-approve'])).code, 0);
    assert.is((await getApp(gwApp)).status, 200);
    const ds = await run(['destroy', '--auto-approve']);
    assert.is(ds.code, 0, ds.out);
    for (const rt of ['gateway', 'one', 'two']) assert.is((await getApp(appName(s.stack, rt))).status, 404, rt);
    assert.is((await rawApi(emu, 'GET', `/projects/${pid}/secrets/${gwSecret}`)).status, 404);

    // The tokens are in no output and not in the state database.
    const state = readFileSync(join(s.dir, '.contextforge', 'state.db')).toString('latin1');
    for (const t of [TOKEN, TOKEN2]) {
      assert.not.ok(
        outputs.some((o) => o.includes(t)),
        'a token was printed',
      );
      assert.not.ok(state.includes(t), 'a token is in the state');
    }
  } finally {
    await cli(['destroy', '--auto-approve', ...f], env).catch(() => undefined);
    await s.close();
  }
});

/** Rewrites the stack's config with these top-level lines (the gateway key or nothing); the CLI reads it. */
function writeConfig(s: CeStack, top: string[]): void {
  writeFileSync(s.file, yamlFor({ ...s.opts, top }, s.stack));
}

test.run();
