// `up` survives its config file going away (issue 20): on the real Docker engine, through the real
// CLI, the file is deleted and recreated with a change three times, replaced by a directory and
// back, and finally saved atomically (write a temporary file, rename it over the config). Each
// time `up` says the file is missing (nothing changed, the last applied state keeps running) and
// applies the next version exactly once: the runtime runs with that version's environment, it is
// never deleted as "not in config", and the gateway serves it at the end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { docker, removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { ensureFixtureImages } from '../support/images.js';
import { stackYaml, startCli, type Child, gatewayUrl } from '../watch/support.js';

const STACK = uniqueName('cfupdel');
const dir = mkdtempSync(join(tmpdir(), 'cf-up-delete-'));
const file = join(dir, 'contextforge.yaml');
const token = randomBytes(16).toString('hex');
let dockerOk = false;
let up: Child | undefined;

const version = (v: string): string => stackYaml({ stack: STACK, runtimes: [{ name: 'one', env: { VERSION: v } }] });

/** The VERSION of the running container of runtime `one`. */
async function runningVersion(): Promise<string | undefined> {
  const list = await docker().listContainers({
    filters: JSON.stringify({ label: [`dev.contextforge.stack=${STACK}`], name: [`cf-${STACK}-one`] }),
  });
  const c = list.find((x) => x.Names.includes(`/cf-${STACK}-one`) && x.State === 'running');
  if (!c) return undefined;
  const env = (await docker().getContainer(c.Id).inspect()).Config.Env ?? [];
  return env.find((e) => e.startsWith('VERSION='))?.slice('VERSION='.length);
}

const applies = (text: string): number => text.split('Apply complete!').length - 1;

test.before(async () => {
  dockerOk = await requireDocker('up config delete e2e');
  if (dockerOk) await ensureFixtureImages();
});

test.after(async () => {
  if (up && up.proc.exitCode === null) {
    up.proc.kill('SIGKILL');
    await up.done;
  }
  if (dockerOk) await removeByLabel({ 'dev.contextforge.stack': STACK });
  rmSync(dir, { recursive: true, force: true });
});

test('deleted, recreated, replaced by a directory and back, saved atomically: each version is applied once', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  writeFileSync(file, version('v0'));
  up = startCli(['up', '-f', file, '--port', '0'], { cwd: dir, env: { CONTEXTFORGE_GATEWAY_TOKEN: token } });
  const url = await gatewayUrl(up, 240_000);
  await up.waitFor(/Watching .* for changes/, 60_000);
  assert.is(await runningVersion(), 'v0');
  assert.is(applies(up.all()), 1, up.all());

  /** Waits for `up` to report the file missing, then writes `next` with `write` and waits for its apply. */
  const step = async (what: string, take: () => void, next: string, write: () => void): Promise<void> => {
    let mark = up!.mark();
    take();
    await up!.waitFor(/is missing or not a regular file: nothing was changed/, 60_000, mark);
    assert.ok(await runningVersion(), `${what}: the runtime keeps running while the file is missing`);
    mark = up!.mark();
    write();
    await up!.waitFor(/Apply complete!/, 240_000, mark);
    assert.is(await runningVersion(), next, `${what}: the recreated version is applied`);
  };

  let applied = 1;
  for (let i = 1; i <= 3; i++) {
    await step(
      `delete ${i}`,
      () => rmSync(file),
      `v${i}`,
      () => writeFileSync(file, version(`v${i}`)),
    );
    assert.is(applies(up.all()), ++applied, up.all());
  }
  await step(
    'a directory in its place',
    () => {
      rmSync(file);
      mkdirSync(file);
    },
    'v4',
    () => {
      rmSync(file, { recursive: true });
      writeFileSync(file, version('v4'));
    },
  );
  assert.is(applies(up.all()), ++applied, up.all());

  // An atomic save (what many editors do): no missing moment, the new version is applied.
  const mark = up.mark();
  writeFileSync(`${file}.tmp`, version('v5'));
  renameSync(`${file}.tmp`, file);
  await up.waitFor(/Apply complete!/, 240_000, mark);
  assert.is(await runningVersion(), 'v5');
  assert.is(applies(up.all()), ++applied, up.all());
  assert.not.match(up.all(), /not-in-config|[1-9]\d* destroyed/, 'the runtime was never deleted');

  // The gateway serves the last version's runtime (connected after that apply, not the one before).
  await up.waitFor(/Apply complete![\s\S]*Serving:\s+one: connected/, 120_000, mark);
  const client = new Client({ name: 'up-config-delete', version: '0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  try {
    const r = (await client.callTool({ name: 'one__echo', arguments: { message: 'v5' } })) as {
      content: Array<{ text?: string }>;
    };
    assert.is(r.content[0]?.text, 'Echo: v5');
  } finally {
    await client.close();
  }

  up.proc.kill('SIGINT');
  assert.is(await up.done, 0, up.out() + up.err());
  up = undefined;
});

test.run();
