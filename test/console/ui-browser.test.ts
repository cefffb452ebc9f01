// The console UI in a real browser (Debian's headless Chromium through playwright-core) on a
// served stack (real `up`, process backend): sign-in with a token, the runtimes page lists the
// runtime with its status badge, the catalog filter by backend hides entries that do not support
// it, the deploy dialog's YAML passes `contextforge validate`, and a change held for approval is
// approved in the page by an approver (a viewer sees no button) and then applied. Screenshots of
// each page go to test-artifacts/console/.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parse, parseDocument, type YAMLSeq } from 'yaml';
import { requireBuild, REPO, runCliSync } from '../cli/up-support.js';
import { skip } from '../support/skip.js';
import { api, serveStack, type ServedStack } from './support.js';
import { MIN_BOUND_MS } from '../support/wait.js';

requireBuild();
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const SHOTS = join(REPO, 'test-artifacts', 'console');
let s: ServedStack;
let browser: Browser;

test.before(async () => {
  if (!CHROMIUM) return;
  mkdirSync(SHOTS, { recursive: true });
  s = await serveStack();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
});
test.after(async () => {
  await browser?.close();
  await s?.stop();
});

async function signIn(token: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
  // Playwright's default 30 s per action is a speed bound on a loaded runner.
  page.setDefaultTimeout(MIN_BOUND_MS);
  await page.goto(`${s.base}/ui`);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Console pages' }).waitFor();
  return page;
}

test('no token: /ui shows a sign-in page and the API answers 401', async () => {
  if (!CHROMIUM) return skip('chromium is not installed (.ci/run installs it)');
  const page = await browser.newPage();
  // Playwright's default 30 s per action is a speed bound on a loaded runner.
  page.setDefaultTimeout(MIN_BOUND_MS);
  await page.goto(`${s.base}/ui`);
  await page.getByLabel('Token').waitFor();
  assert.is(await page.getByRole('navigation', { name: 'Console pages' }).isVisible(), false);
  await page.getByLabel('Token').fill('wrong-token-value');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Your token was not accepted.').waitFor();
  await page.screenshot({ path: join(SHOTS, 'sign-in.png') });
  await page.close();
});

test('runtimes page lists the runtime with its status; detail shows guardrails and logs', async () => {
  if (!CHROMIUM) return skip('chromium is not installed (.ci/run installs it)');
  const page = await signIn(s.tokens.victor);
  const row = page.locator('tr[data-runtime="quickstart"]');
  await row.locator('.status [data-state="running"]').waitFor();
  await page.screenshot({ path: join(SHOTS, 'runtimes.png') });
  await row.getByRole('link', { name: 'quickstart' }).click();
  await page.getByRole('heading', { name: 'Runtime quickstart' }).waitFor();
  await page.getByRole('heading', { name: 'Logs' }).waitFor();
  assert.ok(await page.getByText('local-dev').first().isVisible(), 'the profile is shown');
  assert.not.ok((await page.content()).includes(s.secret), 'the page shows no secret value');
  await page.screenshot({ path: join(SHOTS, 'runtime-detail.png') });
  await page.goto(`${s.base}/ui#/profiles`);
  await page.getByRole('table', { name: 'Backend compatibility matrix' }).waitFor();
  await page.screenshot({ path: join(SHOTS, 'profiles.png') });
  await page.goto(`${s.base}/ui#/plan`);
  await page.getByRole('heading', { name: 'Plan' }).waitFor();
  await page.screenshot({ path: join(SHOTS, 'plan.png') });
  await page.close();
});

test('the catalog filter by backend hides entries that do not support it', async () => {
  if (!CHROMIUM) return skip('chromium is not installed (.ci/run installs it)');
  const page = await signIn(s.tokens.victor);
  await page.goto(`${s.base}/ui#/catalog`);
  await page.locator('article[data-slug="quickstart-example"]').waitFor();
  await page.getByLabel('Backend').selectOption('docker');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/backend=docker/);
  await page.getByLabel('Backend').waitFor();
  await page.locator('article[data-slug="quickstart-example"]').waitFor({ state: 'detached' });
  const shown = await page
    .locator('article[data-slug]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-slug')));
  const docker = (await api(s, '/api/v1/catalog?backend=docker', s.tokens.victor)).body as {
    entries: { slug: string }[];
  };
  assert.equal(
    shown,
    docker.entries.map((e) => e.slug),
  );
  await page.screenshot({ path: join(SHOTS, 'catalog.png') });
  await page.close();
});

test('the deploy dialog produces YAML that contextforge validate accepts', async () => {
  if (!CHROMIUM) return skip('chromium is not installed (.ci/run installs it)');
  const page = await signIn(s.tokens.victor);
  await page.goto(`${s.base}/ui#/catalog`);
  await page.getByRole('button', { name: 'Deploy Quick-start example server' }).click();
  const dialog = page.getByRole('dialog', { name: 'Deploy Quick-start example server' });
  await dialog.getByLabel('Runtime name').fill('second');
  await dialog.getByLabel('Guardrail profile').selectOption('local-dev');
  await dialog.getByLabel('Env (KEY=value per line)').fill('QUICKSTART_API_KEY=${CF_TEST_API_KEY}');
  await dialog.getByRole('button', { name: 'Generate YAML' }).click();
  await dialog.locator('[data-valid="true"]').waitFor();
  await page.screenshot({ path: join(SHOTS, 'deploy-dialog.png') });
  const yaml = (await dialog.locator('#snippet').textContent()) ?? '';
  assert.match(yaml, 'catalog: quickstart-example');
  // The snippet added under runtimes: of the served config passes the CLI's own validate.
  const doc = parseDocument(readFileSync(join(s.copy.dir, 'contextforge.yaml'), 'utf8'));
  const runtimes = doc.get('runtimes') as YAMLSeq;
  for (const item of parse(yaml) as unknown[]) runtimes.add(doc.createNode(item));
  writeFileSync(join(s.copy.dir, 'with-snippet.yaml'), doc.toString());
  const r = runCliSync(['validate', '-f', 'with-snippet.yaml'], {
    cwd: s.copy.dir,
    path: s.copy.path,
    env: { CF_TEST_API_KEY: s.secret, CF_TEST_ADMIN_TOKEN: s.tokens.admin },
  });
  assert.is(r.code, 0, r.stdout + r.stderr);
  await page.close();
});

/** Polls the API (bounded) until `pick` finds what it waits for. */
async function until<T>(what: string, pick: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await pick();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${s.up.stdout()}\n${s.up.stderr()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('a held change: a viewer sees no approve button; an approver approves in the page and the change applies', async () => {
  if (!CHROMIUM) return skip('chromium is not installed (.ci/run installs it)');
  const file = join(s.copy.dir, 'contextforge.yaml');
  const yaml = readFileSync(file, 'utf8').replace('        default: Hello\n', '        default: Howdy\n');
  writeFileSync(
    file,
    `${yaml}approval:\n  required_for:\n    - source_type: command\n      approvers: [{ user: alice }]\n`,
  );
  const viewer = await signIn(s.tokens.victor);
  await viewer.goto(`${s.base}/ui#/approvals`);
  // The page follows the live stream: the request appears without a reload.
  const vrow = viewer.locator('tr[data-approval] [data-state="pending"]');
  await vrow.waitFor({ timeout: 90_000 });
  const id = await viewer.locator('tr[data-approval]').first().getAttribute('data-approval');
  assert.ok(id);
  assert.is(await viewer.getByRole('button', { name: 'Approve' }).count(), 0, 'a viewer has no approve button');
  const denied = await api(s, `/api/v1/approvals/${id}/approve`, s.tokens.victor, { method: 'POST' });
  assert.is(denied.status, 403, 'and the API refuses the viewer');
  await viewer.close();
  const approver = await signIn(s.tokens.alice);
  await approver.goto(`${s.base}/ui#/approvals`);
  const row = approver.locator(`tr[data-approval="${id}"]`);
  await row.getByRole('button', { name: 'Approve' }).waitFor();
  await approver.screenshot({ path: join(SHOTS, 'approvals.png') });
  await row.getByRole('button', { name: 'Approve' }).click();
  await approver.locator(`tr[data-approval="${id}"] [data-state="approved"]`).waitFor();
  await approver.close();
  const a = (await api(s, `/api/v1/approvals/${id}`, s.tokens.victor)).body as { status: string; decidedBy: string };
  assert.equal([a.status, a.decidedBy], ['approved', 'alice']);
  const applied = await until('approval.applied', async () => {
    const ev = (await api(s, '/api/v1/events', s.tokens.victor)).body as {
      events: { type: string; data?: { id?: string } }[];
    };
    return ev.events.find((e) => e.type === 'approval.applied' && e.data?.id === id);
  });
  assert.ok(applied, 'the approved change was applied');
});

test.run();
