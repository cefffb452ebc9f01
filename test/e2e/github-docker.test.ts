// GitHub source on the Docker backend, end to end with real git and a real engine: a local
// repository (github.base_url is a local directory) holding a Dockerfile for an MCP server is
// built and served through the gateway; a new commit plans build + replace and the new tool
// output is served; an unmoved branch plans nothing and builds nothing; a broken Dockerfile
// reports its build log lines and leaves the previous container serving.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, requireDocker } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { ensureFixtureImages } from '../support/images.js';
import { clones, DockerStack, FIXTURES, LocalRepo, text } from '../sources/harness.js';

let enabled = false;
const base = mkdtempSync(join(tmpdir(), 'cf-ghbase-'));
let slug = '';

test.before(async () => {
  enabled = await requireDocker('github source on docker (e2e)');
  if (enabled) await ensureFixtureImages();
});

test.after(async () => {
  rmSync(base, { recursive: true, force: true });
  if (!enabled || !slug) return;
  const left = await docker().listImages({ filters: JSON.stringify({ reference: [`${slug}:*`] }) });
  for (const img of left)
    await docker()
      .getImage(img.Id)
      .remove({ force: true })
      .catch(() => undefined);
});

test('github source: build, serve, rebuild on a new commit only, failed build keeps the old container', async () => {
  if (!enabled) return skip('the Docker daemon does not answer');
  const s = new DockerStack();
  slug = `greeter-${s.stack.slice(-6)}`;
  mkdirSync(join(base, 'acme', 'greeter'), { recursive: true });
  const repo = new LocalRepo(join(base, 'acme', 'greeter'));
  const clonesBefore = clones().length;
  let client: Awaited<ReturnType<DockerStack['client']>> | undefined;
  try {
    const sha1 = await repo.init();
    await s.load(
      [
        `github: { base_url: ${JSON.stringify(base)} }`,
        'backends:',
        '  local: { type: docker }',
        'catalog:',
        '  - name: Greeter',
        `    slug: ${slug}`,
        '    source: { type: github, repo: acme/greeter, branch: main, build_args: { GREETING_SUFFIX: "!" } }',
        '    transport: { type: streamable-http, port: 8080, path: /mcp }',
        'runtimes:',
        '  - name: greeter',
        `    catalog: ${slug}`,
        '    backend: local',
        '    guardrails_profile: unrestricted',
        '',
      ].join('\n'),
    );

    // First plan: create with a build step, the image tagged with the commit.
    const p1 = await s.plan();
    assert.ok(p1.plan, JSON.stringify(p1.diags));
    const c1 = p1.plan!.changes[0];
    assert.is(c1.action, 'create');
    assert.equal(c1.steps, ['build']);
    assert.ok(
      c1.fields.some((f) => f.path === 'image' && f.after === `${slug}:${sha1.slice(0, 12)}`),
      JSON.stringify(c1.fields),
    );
    assert.is(s.builds(), 0, 'plan never builds');
    const a1 = await s.apply(p1);
    assert.is(a1.exitCode, 0, JSON.stringify(a1.diags));
    assert.is(s.builds(), 1);
    assert.ok(
      s.progress.some((l) => /build: Step \d+\/\d+ : FROM/.test(l)),
      'the build log is streamed as progress',
    );
    const img = await docker()
      .getImage(`${slug}:${sha1.slice(0, 12)}`)
      .inspect();
    assert.is(img.Config.Labels?.['dev.contextforge.source.commit'], sha1);
    assert.is(img.Config.Labels?.['dev.contextforge.source.ref'], 'main');
    assert.is(img.Config.Labels?.['dev.contextforge.source.repo'], 'acme/greeter');

    client = await s.client();
    assert.is(
      text(await client.callTool({ name: 'greeter__greet', arguments: {} })),
      'hello from v1!',
      'build args reach the build',
    );
    await client.close();

    // No new commit: nothing to do and no build, in plan or apply.
    const p2 = await s.plan();
    assert.is(p2.plan!.changes[0].action, 'noop', JSON.stringify(p2.plan!.changes[0]));
    assert.is((await s.apply(p2)).writeCalls, 0);
    assert.is(s.builds(), 1, 'an unchanged commit is not rebuilt');

    // A new commit: build + replace, and the new behaviour is served.
    const server = readFileSync(join(FIXTURES, 'server.mjs'), 'utf8').replace("'hello from v1'", "'hello from v2'");
    const sha2 = await repo.commit({ 'server.mjs': server }, 'v2');
    const p3 = await s.plan();
    const c3 = p3.plan!.changes[0];
    assert.is(c3.action, 'replace');
    assert.is(c3.reason, 'replace:image-changed');
    assert.equal(c3.steps, ['build']);
    assert.ok(
      c3.fields.some((f) => f.path === 'build.commit' && f.before === sha1 && f.after === sha2),
      JSON.stringify(c3.fields),
    );
    const a3 = await s.apply(p3);
    assert.is(a3.exitCode, 0, JSON.stringify(a3.diags));
    assert.is(s.builds(), 2);
    client = await s.client();
    assert.is(text(await client.callTool({ name: 'greeter__greet', arguments: {} })), 'hello from v2!');
    await client.close();
    const before = (await s.backend!.observe(s.stack)).value![0];
    const log: string[] = [];
    for await (const l of s.backend!.logs!(before, { build: true })) log.push(l);
    assert.ok(
      log.some((l) => l.includes(`cloning`) && l.includes(sha2.slice(0, 12))),
      log.slice(0, 3).join('\n'),
    );
    assert.ok(
      log.some((l) => /Successfully tagged/.test(l)),
      'logs --build shows the stored build log',
    );

    // A broken Dockerfile: the build fails with its log lines, the v2 container keeps serving.
    await repo.commit({ Dockerfile: 'FROM contextforge-fixture/node:20\nRUN /no/such/program --really\n' }, 'broken');
    const p4 = await s.plan();
    assert.equal(p4.plan!.changes[0].steps, ['build']);
    const a4 = await s.apply(p4);
    assert.is(a4.exitCode, 1);
    const d = a4.diags.find((x) => x.code === 'docker.build-failed');
    assert.ok(d, JSON.stringify(a4.diags));
    assert.match(d!.detail ?? '', /RUN \/no\/such\/program --really/, 'the diagnostic carries the build log lines');
    const after = (await s.backend!.observe(s.stack)).value![0];
    assert.is(after.native?.containerId, before.native?.containerId, 'the running container was not touched');
    assert.is(after.status, 'running');
    client = await s.client();
    assert.is(
      text(await client.callTool({ name: 'greeter__greet', arguments: {} })),
      'hello from v2!',
      'the previous version still serves',
    );
    await client.close();
    client = undefined;
    assert.is(clones().length, clonesBefore, 'temporary clones are removed');

    // Destroy leaves no container of the stack.
    assert.is((await s.apply(await s.plan(true))).exitCode, 0);
    assert.is(
      (
        await docker().listContainers({
          all: true,
          filters: JSON.stringify({ label: [`dev.contextforge.stack=${s.stack}`] }),
        })
      ).length,
      0,
    );
  } finally {
    await client?.close().catch(() => undefined);
    await s.close();
  }
});

test.run();
