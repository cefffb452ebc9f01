// buildFromGit against the real engine and a real local repository: a build stopped by its
// timeout and one cancelled through the apply's abort signal both end as docker.build-failed
// diagnostics naming why, keep their log, and leave no temporary clone behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, requireDocker } from '../../support/docker.js';
import { skip } from '../../support/skip.js';
import { BUSYBOX_IMAGE, ensureFixtureImages } from '../../support/images.js';
import { buildFromGit } from '../../../src/backends/docker/build.js';
import { clones, LocalRepo } from '../../sources/harness.js';

let enabled = false;
const dir = mkdtempSync(join(tmpdir(), 'cf-ghbuild-'));
let commit = '';

test.before(async () => {
  enabled = await requireDocker('github build timeout and cancellation');
  if (!enabled) return;
  await ensureFixtureImages();
  const repo = new LocalRepo(join(dir, 'repo'));
  await repo.init();
  commit = await repo.commit({ Dockerfile: `FROM ${BUSYBOX_IMAGE}\nRUN sleep 120\n` }, 'slow');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

function input(image: string, logFile: string, extra: { timeoutMs: number; signal?: AbortSignal }) {
  return {
    docker: docker(),
    url: `file://${join(dir, 'repo')}`,
    source: {
      type: 'github' as const,
      repo: 'repo',
      ref: 'main',
      commit,
      dockerfile: 'Dockerfile',
      context: '.',
      buildArgs: {},
      pushToRegistry: false,
    },
    image,
    labels: {},
    logFile,
    progress: () => undefined,
    address: 'runtime.slow',
    ...extra,
  };
}

test('the build timeout stops a build and says so', async () => {
  if (!enabled) return skip('the Docker daemon does not answer');
  const before = clones().length;
  const log = join(dir, 'logs', 'timeout.log');
  const r = await buildFromGit(input('cf-test-slow-build:timeout', log, { timeoutMs: 4000 }));
  assert.is(r.ok, false);
  const d = (r as { diags: Array<{ code: string; summary: string; detail?: string }> }).diags[0];
  assert.is(d.code, 'docker.build-failed');
  assert.match(d.summary, /timed out after 4s/);
  assert.ok(existsSync(log));
  assert.match(readFileSync(log, 'utf8'), /RUN sleep 120/);
  assert.is(clones().length, before, 'the temporary clone is removed');
  const tagged = await docker().listImages({ filters: JSON.stringify({ reference: ['cf-test-slow-build:timeout'] }) });
  assert.is(tagged.length, 0, 'nothing was tagged');
});

test('aborting the apply cancels the build', async () => {
  if (!enabled) return skip('the Docker daemon does not answer');
  const controller = new AbortController();
  const log = join(dir, 'logs', 'cancel.log');
  const timer = setTimeout(() => controller.abort(new Error('interrupted')), 3000);
  const r = await buildFromGit(
    input('cf-test-slow-build:cancel', log, { timeoutMs: 300_000, signal: controller.signal }),
  );
  clearTimeout(timer);
  assert.is(r.ok, false);
  assert.match((r as { diags: Array<{ summary: string }> }).diags[0].summary, /cancelled/);
  // The engine stops the build step too: its intermediate container goes away.
  let left = 1;
  for (let i = 0; i < 40 && left > 0; i++) {
    left = (
      await docker().listContainers({ all: true, filters: JSON.stringify({ ancestor: [BUSYBOX_IMAGE] }) })
    ).filter((c) => c.Command.includes('sleep 120')).length;
    if (left) await new Promise((res) => setTimeout(res, 250));
  }
  assert.is(left, 0, 'no build container keeps running');
});

test.run();
