// Code Engine end to end on the emulator's Docker mode: an MCP server deployed by the backend
// runs as a local container, and the gateway (fed by the host glue from the state the apply
// recorded) lists and calls its tools; a GitHub-source runtime is built by an emulated Code
// Engine build run from a local git repo, the app rolls to the new image when the branch moves,
// and a broken Dockerfile surfaces the build run's failure reason as a diagnostic.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { simpleGit } from 'simple-git';
import { startCodeEngineEmulator, type CodeEngineEmulator } from '../../src/emulators/code-engine/index.js';
import { appName } from '../../src/backends/code-engine/index.js';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { upstreamsFromRecords, CODE_ENGINE_MIN_TIMEOUT_MS } from '../../src/host/upstreams.js';
import { docker, requireDocker } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { EVERYTHING, EVERYTHING_IMAGE, ensureFixtureImages } from '../support/images.js';
import { connectStreamableHttp } from '../support/mcp.js';
import { CeStack, rawApi } from '../backends/code-engine/backend-support.js';

let enabled = false;
let emu: CodeEngineEmulator;
const repoDir = mkdtempSync(join(tmpdir(), 'cf-ce-gh-'));
const REGISTRY = 'cftest.local/ce-e2e';
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

test.before(async () => {
  enabled = await requireDocker('code engine e2e (emulator docker mode)');
  if (!enabled) return;
  await ensureFixtureImages();
  emu = await startCodeEngineEmulator({ docker: { removeBuiltImages: true }, log: () => undefined });
});

test.after(async () => {
  rmSync(repoDir, { recursive: true, force: true });
  if (!enabled) return;
  await emu.close();
  const left = await docker().listImages({ filters: JSON.stringify({ reference: [`${REGISTRY}/*`] }) });
  for (const img of left)
    await docker()
      .getImage(img.Id)
      .remove({ force: true })
      .catch(() => undefined);
});

function text(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((c) => c.text ?? '').join('');
}

test('the gateway lists and calls the tools of a server deployed to Code Engine', async () => {
  if (!enabled) return skip('the Docker daemon does not answer');
  const s = new CeStack({ emu, runtimes: [{ name: 'echo', scale: { min: 1 } }] });
  let gw: Gateway | undefined;
  try {
    await s.load();
    const a = await s.apply(await s.plan());
    assert.is(a.exitCode, 0, JSON.stringify(a.diags));
    const [rec] = s.store.listRuntimes(s.stack);
    assert.match(rec.endpoint?.url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/mcp$/, 'a loopback endpoint with the MCP path');
    const set = upstreamsFromRecords(s.store.listRuntimes(s.stack), { config: s.config });
    assert.is(set.upstreams.length, 1, JSON.stringify(set.skipped));
    assert.ok(set.upstreams[0].callTimeoutMs! >= CODE_ENGINE_MIN_TIMEOUT_MS, 'cold starts are tolerated');
    gw = createGateway({ port: 0, auth: { mode: 'none' }, logger: quiet });
    const addr = await gw.start();
    await gw.setUpstreams(set.upstreams);
    assert.ok(await gw.settled(30_000));
    assert.is(gw.status()[0].state, 'connected', JSON.stringify(gw.status()));
    const client = await connectStreamableHttp(`${addr.url}/mcp`);
    try {
      const tools = await client.listTools();
      assert.ok(
        tools.tools.some((t) => t.name === `echo__${EVERYTHING.tools.echo}`),
        tools.tools.map((t) => t.name).join(','),
      );
      const r = await client.callTool({
        name: `echo__${EVERYTHING.tools.echo}`,
        arguments: { message: 'from code engine' },
      });
      assert.is(text(r), 'Echo: from code engine');
    } finally {
      await client.close();
    }
    // status details (instances) only on request
    const inspected = await s.backend.inspect((await s.backend.observe(s.stack)).value!);
    assert.is(inspected[0].restarts, 0);
    assert.is(inspected[0].live.runningInstances, 1);
  } finally {
    await gw?.stop();
    await s.apply(await s.plan(true)).catch(() => undefined);
    await s.close();
  }
});

async function commit(dockerfile: string, message: string): Promise<string> {
  writeFileSync(join(repoDir, 'Dockerfile'), dockerfile);
  const git = simpleGit({ baseDir: repoDir });
  await git.add('.');
  await git.commit(message);
  return (await git.revparse(['HEAD'])).trim();
}

test('a GitHub source builds through a Code Engine build run and the app rolls to each new image', async () => {
  if (!enabled) return skip('the Docker daemon does not answer');
  const git = simpleGit({ baseDir: repoDir });
  await git.init(['--initial-branch=main']);
  await git.addConfig('user.email', 'test@example.invalid');
  await git.addConfig('user.name', 'test');
  const sha1 = await commit(`FROM ${EVERYTHING_IMAGE}\nLABEL build=one\n`, 'one');
  const pid = emu.projects[0].id;
  assert.is(
    (
      await rawApi(emu, 'POST', `/projects/${pid}/secrets`, {
        name: 'push-secret',
        format: 'registry',
        data: { server: 'cftest.local', username: 'u', password: 'p' },
      })
    ).status,
    201,
  );
  const s = new CeStack({
    emu,
    runtimes: [{ name: 'built', catalog: 'echo-gh', scale: { min: 1 } }],
    backend: [
      '    build:',
      `      output_registry: ${REGISTRY}`,
      '      output_secret: push-secret',
      '      strategy_size: small',
      '      timeout: 300s',
    ],
    catalog: [
      '  - name: Echo from git',
      '    slug: echo-gh',
      `    source: { type: github, repo: "${pathToFileURL(repoDir).href}", branch: main, args: [streamableHttp] }`,
      '    transport: { type: streamable-http, port: 3001, path: /mcp }',
    ],
  });
  try {
    await s.load();
    const p1 = await s.plan();
    assert.ok(p1.plan, JSON.stringify(p1.diags));
    const c1 = p1.plan!.changes[0];
    assert.is(c1.action, 'create');
    assert.equal(c1.steps, ['build']);
    assert.ok(
      c1.fields.some((f) => f.path === 'image' && f.after === `${REGISTRY}/echo-gh:${sha1.slice(0, 12)}`),
      JSON.stringify(c1.fields),
    );
    const a1 = await s.apply(p1);
    assert.is(a1.exitCode, 0, JSON.stringify(a1.diags));
    const app1 = (await rawApi(emu, 'GET', `/projects/${pid}/apps/${appName(s.stack, 'built')}`)).body as {
      image_reference: string;
      status: string;
      endpoint: string;
    };
    assert.is(app1.image_reference, `${REGISTRY}/echo-gh:${sha1.slice(0, 12)}`);
    assert.is(app1.status, 'ready');
    const runs = (await rawApi(emu, 'GET', `/projects/${pid}/build_runs`)).body as {
      build_runs: Array<{ status: string; status_details: { git_commit_sha?: string } }>;
    };
    assert.ok(runs.build_runs.some((r) => r.status === 'succeeded' && r.status_details.git_commit_sha === sha1));
    const img = await docker().getImage(app1.image_reference).inspect();
    assert.is(img.Config.Labels?.build, 'one', 'the app runs the image built from the repo');
    const mcp = await connectStreamableHttp(`${app1.endpoint}/mcp`);
    assert.ok((await mcp.listTools()).tools.length > 0);
    await mcp.close();
    assert.is((await s.plan()).plan!.summary.noop, 1, 'an unmoved branch is a no-op (no rebuild)');

    // The branch moves: plan shows the new image (in place, with a build step), apply rolls.
    const sha2 = await commit(`FROM ${EVERYTHING_IMAGE}\nLABEL build=two\n`, 'two');
    const p2 = await s.plan();
    const c2 = p2.plan!.changes[0];
    assert.is(c2.action, 'update');
    assert.is(c2.reason, 'update:image-changed');
    assert.equal(c2.steps, ['build']);
    const a2 = await s.apply(p2);
    assert.is(a2.exitCode, 0, JSON.stringify(a2.diags));
    const app2 = (await rawApi(emu, 'GET', `/projects/${pid}/apps/${appName(s.stack, 'built')}`)).body as {
      image_reference: string;
      status_details: { latest_ready_revision: string };
    };
    assert.is(app2.image_reference, `${REGISTRY}/echo-gh:${sha2.slice(0, 12)}`);
    assert.is(app2.status_details.latest_ready_revision, `${appName(s.stack, 'built')}-00002`);
    assert.is((await docker().getImage(app2.image_reference).inspect()).Config.Labels?.build, 'two');

    // A broken Dockerfile: the build run fails and its reason is the diagnostic; the app keeps serving.
    await commit('FROM cftest.local/does-not-exist:never\n', 'broken');
    const a3 = await s.apply(await s.plan());
    assert.is(a3.exitCode, 1);
    const d = a3.diags.find((x) => x.code === 'ce.build-failed');
    assert.ok(d, JSON.stringify(a3.diags));
    assert.match(d!.summary, /failed: \w+/);
    const app3 = (await rawApi(emu, 'GET', `/projects/${pid}/apps/${appName(s.stack, 'built')}`)).body as {
      image_reference: string;
      status: string;
    };
    assert.is(app3.image_reference, app2.image_reference, 'the running app was not touched');
    assert.is(app3.status, 'ready');

    // Destroy removes the app and the build config.
    assert.is((await s.apply(await s.plan(true))).exitCode, 0);
    const builds = (await rawApi(emu, 'GET', `/projects/${pid}/builds`)).body as { builds: Array<{ name: string }> };
    assert.not.ok(builds.builds.some((b) => b.name === appName(s.stack, 'built')));
  } finally {
    await s.close();
  }
});

test.run();
