// `serve` survives a state store that fails under it (issue 20): with serve following a stack,
// the SQLite -wal file is deleted (as a careless cleanup or a sync tool does) and another process
// applies a replace. serve notices the failure, re-opens the database on a fresh connection
// (with backoff, reported on /readyz meanwhile) and follows: a call through the gateway reaches
// the replaced runtime. Real Docker, the real CLI, a real MCP client.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { ensureFixtureImages } from '../support/images.js';
import { runCli, stackYaml, startCli, type Child, connectWithStoredToken, gatewayUrl } from '../watch/support.js';

const STACK = uniqueName('cfwal');
const dir = mkdtempSync(join(tmpdir(), 'cf-wal-'));
const file = join(dir, 'contextforge.yaml');
const wal = join(dir, '.contextforge', 'state.db-wal');
let serve: Child | undefined;
let client: Client | undefined;
let dockerOk = false;

const write = (v: string): void =>
  writeFileSync(file, stackYaml({ stack: STACK, runtimes: [{ name: 'alpha', env: { GREETING: v } }] }));

const text = (r: Record<string, unknown>): string => (r.content as Array<{ text?: string }>)[0]?.text ?? '';

/** The env the server runs with, read through the gateway (the everything server's printEnv tool). */
async function greetingThrough(want: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const r = await client!.callTool({ name: 'alpha__echo', arguments: { message: want } });
      last = text(r);
      if (!r.isError) {
        const env = await client!.callTool({ name: 'alpha__get-env', arguments: {} }).catch(() => undefined);
        const body = env ? text(env) : '';
        if (body.includes(`"GREETING": "${want}"`) || body.includes(`GREETING=${want}`)) return;
        last = `env: ${body.slice(0, 200)}`;
      }
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > until) throw new Error(`the gateway never reached GREETING=${want}: ${last}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test.before(async () => {
  dockerOk = await requireDocker('serve WAL loss e2e');
  if (dockerOk) await ensureFixtureImages();
});

test.after(async () => {
  await client?.close().catch(() => undefined);
  if (serve && serve.proc.exitCode === null) {
    serve.proc.kill('SIGKILL');
    await serve.done;
  }
  if (dockerOk) await removeByLabel({ 'dev.contextforge.stack': STACK });
  rmSync(dir, { recursive: true, force: true });
});

test('serve re-opens the state store after its -wal file is deleted and follows the next replace', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  write('one');
  const first = await runCli(['apply', '-f', file, '--auto-approve']);
  assert.is(first.code, 0, first.out + first.err);
  serve = startCli(['serve', '-f', file, '--port', '0']);
  const url = await gatewayUrl(serve);
  client = await connectWithStoredToken(url, dir, 'wal-loss');
  const token = readFileSync(join(dir, '.contextforge', 'gateway.token'), 'utf8').trim();
  await greetingThrough('one');

  assert.ok(existsSync(wal), 'serve keeps the database in WAL mode');
  rmSync(wal);
  write('two');
  const replace = await runCli(['apply', '-f', file, '--auto-approve']);
  assert.is(replace.code, 0, replace.out + replace.err);
  await greetingThrough('two');

  const ready = await fetch(new URL('/readyz', url), { headers: { Authorization: `Bearer ${token}` } });
  const body = (await ready.json()) as { ready: boolean; state?: { ok: boolean } };
  assert.is(ready.status, 200, JSON.stringify(body));
  assert.equal(body.state?.ok, true);
});

test.run();
