// GitHub source with push_to_registry against a real local registry (Debian's docker-registry on
// 127.0.0.1): the built image is pushed under the configured registry path, and a second
// deployment runs the pushed image by its registry reference (pulled, since the local copy is
// gone) with allowed_registries containing that registry.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, requireDocker } from '../support/docker.js';
import { ensureFixtureImages } from '../support/images.js';
import { skip } from '../support/skip.js';
import { requireRegistry, startRegistry, type LocalRegistry } from '../support/registry.js';
import { DockerStack, LocalRepo, text } from '../sources/harness.js';

let enabled = false;
let registry: LocalRegistry | undefined;
const base = mkdtempSync(join(tmpdir(), 'cf-ghpush-'));

test.before(async () => {
  enabled =
    (await requireDocker('github push to a local registry (e2e)')) &&
    requireRegistry('github push to a local registry (e2e)');
  if (!enabled) return;
  await ensureFixtureImages();
  registry = await startRegistry();
});

test.after(async () => {
  rmSync(base, { recursive: true, force: true });
  await registry?.stop();
});

test('push the build to the local registry, then deploy the pushed image by its reference', async () => {
  if (!enabled || !registry) return skip('Docker or the docker-registry binary is unavailable');
  mkdirSync(join(base, 'acme', 'pushed'), { recursive: true });
  const repo = new LocalRepo(join(base, 'acme', 'pushed'));
  const sha = await repo.init();
  const builder = new DockerStack();
  const slug = `pushed-${builder.stack.slice(-6)}`;
  const image = `${registry.host}/mcp/${slug}:${sha.slice(0, 12)}`;
  try {
    await builder.load(
      [
        `github: { base_url: ${JSON.stringify(base)} }`,
        'backends:',
        `  local: { type: docker, allowed_registries: ["${registry.host}"] }`,
        'catalog:',
        '  - name: Pushed',
        `    slug: ${slug}`,
        `    source: { type: github, repo: acme/pushed, branch: main, push_to_registry: true, registry: "${registry.host}/mcp" }`,
        '    transport: { type: streamable-http, port: 8080, path: /mcp }',
        'runtimes:',
        '  - name: built',
        `    catalog: ${slug}`,
        '    backend: local',
        '    guardrails_profile: unrestricted',
        '',
      ].join('\n'),
    );
    const p = await builder.plan();
    assert.ok(p.plan, JSON.stringify(p.diags));
    assert.ok(
      p.plan!.changes[0].fields.some((f) => f.path === 'image' && f.after === image),
      JSON.stringify(p.plan!.changes[0].fields),
    );
    const a = await builder.apply(p);
    assert.is(a.exitCode, 0, `${JSON.stringify(a.diags)}\n${builder.progress.slice(-10).join('\n')}`);
    const tags = (await (await fetch(`http://${registry.host}/v2/mcp/${slug}/tags/list`)).json()) as {
      tags?: string[];
    };
    assert.equal(tags.tags, [sha.slice(0, 12)], 'the registry holds the pushed tag');
    assert.is((await builder.apply(await builder.plan(true))).exitCode, 0);
  } finally {
    await builder.close();
  }
  // Only the registry has the image now.
  await docker().getImage(image).remove({ force: true });

  const runner = new DockerStack();
  try {
    await runner.load(
      [
        'backends:',
        `  local: { type: docker, allowed_registries: ["${registry.host}"] }`,
        'catalog:',
        '  - name: From registry',
        `    slug: ${slug}-run`,
        `    source: { type: docker, image: "${image}" }`,
        '    transport: { type: streamable-http, port: 8080, path: /mcp }',
        'runtimes:',
        '  - name: pulled',
        `    catalog: ${slug}-run`,
        '    backend: local',
        '    guardrails_profile: unrestricted',
        '',
      ].join('\n'),
    );
    const a = await runner.apply(await runner.plan());
    assert.is(a.exitCode, 0, JSON.stringify(a.diags));
    assert.ok(
      runner.progress.some((l) => l.includes(`pulling image ${image}`)),
      'the image came from the registry',
    );
    const client = await runner.client();
    assert.is(text(await client.callTool({ name: 'pulled__greet', arguments: {} })), 'hello from v1');
    await client.close();
    assert.is((await runner.apply(await runner.plan(true))).exitCode, 0);
  } finally {
    await runner.close();
    await docker()
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
  }
});

test.run();
