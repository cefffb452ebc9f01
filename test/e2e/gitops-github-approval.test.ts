// The acceptance case with a real github source: a runtime built from a (local) git
// repository falls under `approval.required_for: [{ source_type: github }]` with approver
// security-team. `apply` holds it with exit 3 and says so while the other runtime applies;
// `apply --approved-by security-team` builds and runs it. Real git, real Docker build.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { EVERYTHING_IMAGE, ensureFixtureImages } from '../support/images.js';
import { LocalRepo } from '../sources/harness.js';
import { runCli } from '../watch/support.js';

const STACK = uniqueName('cfghap');
const slug = `greeter-${STACK.slice(-6)}`;
const dir = mkdtempSync(join(tmpdir(), 'cf-gh-approval-'));
const file = join(dir, 'contextforge.yaml');
let dockerOk = false;

async function running(name: string): Promise<boolean> {
  const list = await docker().listContainers({
    filters: JSON.stringify({ label: [`dev.contextforge.stack=${STACK}`], name: [`cf-${STACK}-${name}`] }),
  });
  return list.some((x) => x.Names.includes(`/cf-${STACK}-${name}`) && x.State === 'running');
}

test.before(async () => {
  dockerOk = await requireDocker('github approval e2e');
  if (!dockerOk) return;
  await ensureFixtureImages();
  const base = join(dir, 'repos');
  mkdirSync(join(base, 'acme', 'greeter'), { recursive: true });
  await new LocalRepo(join(base, 'acme', 'greeter')).init();
  writeFileSync(
    file,
    [
      `name: ${STACK}`,
      `github: { base_url: ${JSON.stringify(base)} }`,
      'backends:',
      '  local: { type: docker, allow_local_images: true }',
      'approval:',
      '  enabled: true',
      '  required_for:',
      '    - source_type: github',
      '  approvers: [{ group: security-team }]',
      'catalog:',
      `  - name: Greeter`,
      `    slug: ${slug}`,
      '    source: { type: github, repo: acme/greeter, branch: main }',
      '    transport: { type: streamable-http, port: 8080, path: /mcp }',
      '  - name: Echo',
      '    slug: echo',
      `    source: { type: docker, image: "${EVERYTHING_IMAGE}", args: [streamableHttp], pull: never }`,
      '    transport: { type: streamable-http, port: 3001, path: /mcp }',
      'runtimes:',
      '  - { name: greeter, catalog: ' + slug + ', backend: local, guardrails_profile: unrestricted }',
      '  - { name: plain, catalog: echo, backend: local, guardrails_profile: unrestricted }',
      '',
    ].join('\n'),
  );
});

test.after(async () => {
  if (dockerOk) {
    await removeByLabel({ 'dev.contextforge.stack': STACK });
    const left = await docker().listImages({ filters: JSON.stringify({ reference: [`${slug}:*`] }) });
    for (const img of left)
      await docker()
        .getImage(img.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
  rmSync(dir, { recursive: true, force: true });
});

test('a github-source runtime is held without security-team and applied with it', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  let r = await runCli(['plan', '-f', file]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /runtime\.greeter[\s\S]*source_type is github/);

  r = await runCli(['apply', '-f', file, '--auto-approve']);
  assert.is(r.code, 3, r.out + r.err);
  assert.match(r.out, /runtime\.greeter: held for approval \(source_type is github\)/);
  assert.match(r.out, /Approvers: security-team\. Re-run with --approved-by/);
  assert.ok(await running('plain'), 'the other runtime applied');
  assert.not.ok(await running('greeter'), 'nothing unapproved is applied (not even built)');
  assert.is(
    (await docker().listImages({ filters: JSON.stringify({ reference: [`${slug}:*`] }) })).length,
    0,
    'no build happened',
  );

  r = await runCli(['apply', '-f', file, '--auto-approve', '--approved-by', 'security-team']);
  assert.is(r.code, 0, r.out + r.err);
  assert.ok(await running('greeter'));
  r = await runCli(['events', '-f', file, '--type', 'approval.*', '--json']);
  const ev = JSON.parse(r.out) as { type: string; address?: string; actor?: string }[];
  assert.ok(ev.some((e) => e.type === 'approval.held' && e.address === 'runtime.greeter'));
  assert.ok(
    ev.some((e) => e.type === 'approval.approved' && e.address === 'runtime.greeter' && e.actor === 'security-team'),
  );
});

test.run();
