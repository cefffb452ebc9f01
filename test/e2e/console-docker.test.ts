// The console UI on a Docker runtime beside a process runtime (real `up`, real Docker, headless
// Chromium through playwright-core): the runtimes page lists both as running; a container
// killed behind contextforge's back turns its badge to not-running without a reload (the SSE
// stream) and back to running after the repair (`contextforge apply`); the detail pages show the
// log line the server printed and the guardrail warnings of the process runtime; /metrics has
// the Docker runtime's CPU and memory gauges.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { docker, requireDocker, uniqueName } from '../support/docker.js';
import { ensureFixtureImages, EVERYTHING_IMAGE } from '../support/images.js';
import { skip } from '../support/skip.js';
import { REPO, requireBuild, runCliSync } from '../cli/up-support.js';
import { serveStack, type ServedStack } from '../console/support.js';
import { MIN_BOUND_MS } from '../support/wait.js';

requireBuild();
const haveDocker = await requireDocker('the console on a Docker stack');
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const SHOTS = join(REPO, 'test-artifacts', 'console');
const stack = uniqueName('cons').replace(/[^a-z0-9_-]/g, '-');
let s: ServedStack | undefined;
let browser: Browser | undefined;

async function containerOf(runtime: string): Promise<string | undefined> {
  const list = await docker().listContainers({
    all: true,
    filters: { label: [`dev.contextforge.stack=${stack}`, `dev.contextforge.address=runtime.${runtime}`] },
  });
  return list[0]?.Id;
}

test('runtimes page follows a killed container and its repair; detail shows logs and warnings', async () => {
  if (!haveDocker) return skip('the Docker daemon does not answer');
  if (!CHROMIUM) return skip('chromium is not installed (.ci/run installs it)');
  await ensureFixtureImages();
  mkdirSync(SHOTS, { recursive: true });
  s = await serveStack({
    env: process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {},
    transform: (y) =>
      y
        .replace(/^name: quickstart$/m, `name: ${stack}`)
        .replace('\nprofiles:\n', '\n  box:\n    type: docker\n    allow_local_images: true\n\nprofiles:\n')
        .replace(
          '\nruntimes:\n',
          `\n  - name: Everything over HTTP\n    slug: ev-http\n    supported_backends: [docker]\n    source: {type: docker, image: "${EVERYTHING_IMAGE}", args: [streamableHttp], pull: never}\n    transport: {type: streamable-http, port: 3001, path: /mcp}\n    guardrails_profile: unrestricted\n\nruntimes:\n  - {name: evhttp, catalog: ev-http, backend: box}\n`,
        )
        // The process backend cannot enforce the standard profile: its warnings show in the UI.
        .replace('    backend: local\n', '    backend: local\n    guardrails_profile: standard\n'),
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  const page: Page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
  // Playwright's default 30 s per action is a speed bound on a loaded runner.
  page.setDefaultTimeout(MIN_BOUND_MS);
  await page.goto(`${s.base}/ui`);
  await page.getByLabel('Token').fill(s.tokens.victor);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const badge = (rt: string, state: string) => page.locator(`tr[data-runtime="${rt}"] .status [data-state="${state}"]`);
  await badge('quickstart', 'running').waitFor({ timeout: 60_000 });
  await badge('evhttp', 'running').waitFor({ timeout: 60_000 });
  await page.screenshot({ path: join(SHOTS, 'docker-runtimes.png') });

  const id = await containerOf('evhttp');
  assert.ok(id, 'the evhttp container exists');
  const killedAt = Date.now();
  await docker().getContainer(id!).kill();
  // No reload: the page changes on the stream's runtime event.
  await page.locator('tr[data-runtime="evhttp"] .status .badge.bad').waitFor({ timeout: 60_000 });
  const seconds = (Date.now() - killedAt) / 1000;
  process.stdout.write(`  badge turned after ${seconds.toFixed(1)} s (acceptance: within 5 s)\n`);
  await page.screenshot({ path: join(SHOTS, 'docker-killed.png') });
  const repair = runCliSync(['apply', '--auto-approve'], {
    cwd: s.copy.dir,
    path: s.copy.path,
    env: { CF_TEST_API_KEY: s.secret, CF_TEST_ADMIN_TOKEN: s.tokens.admin },
  });
  assert.is(repair.code, 0, repair.stdout + repair.stderr);
  await badge('evhttp', 'running').waitFor({ timeout: 60_000 });

  // The log line the server printed, as Docker itself has it.
  const own = (
    await docker()
      .getContainer((await containerOf('evhttp'))!)
      .logs({ stdout: true, stderr: true })
  )
    .toString('utf8')
    .includes('listening on port 3001');
  assert.ok(own, 'the server printed its listening line');
  await page.getByRole('link', { name: 'evhttp' }).click();
  await page.getByRole('heading', { name: 'Runtime evhttp' }).waitFor();
  await page.locator('pre.logs', { hasText: 'listening on port 3001' }).waitFor({ timeout: 30_000 });
  await page.screenshot({ path: join(SHOTS, 'docker-detail.png') });
  // /metrics: the Docker runtime's usage gauges from Docker stats (a scrape starts a refresh
  // when its snapshot is stale; a later scrape has it).
  let metrics = '';
  const deadline = Date.now() + 60_000;
  while (!/contextforge_runtime_memory_bytes\{runtime="evhttp",backend="box"\} [1-9]/.test(metrics)) {
    if (Date.now() > deadline) throw new Error(`no memory gauge for evhttp:\n${metrics}`);
    await new Promise((r) => setTimeout(r, 500));
    metrics = await (
      await fetch(`${s.base}/metrics`, { headers: { authorization: `Bearer ${s.tokens.admin}` } })
    ).text();
  }
  assert.match(metrics, /contextforge_runtime_cpu_percent\{runtime="evhttp",backend="box"\} \d/);
  assert.match(metrics, 'contextforge_runtime_up{runtime="evhttp",backend="box"} 1');
  await page.goto(`${s.base}/ui#/runtimes/quickstart`);
  await page.getByRole('heading', { name: 'Runtime quickstart' }).waitFor();
  const warnings = page.locator('ul.warnings li');
  await warnings.first().waitFor();
  assert.ok((await warnings.count()) > 0, 'the process runtime shows its guardrail warnings');
  await page.close();
});

test.after(async () => {
  await browser?.close();
  await s?.stop();
});

test.run();
