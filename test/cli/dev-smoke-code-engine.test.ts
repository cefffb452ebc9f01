// `contextforge dev smoke code-engine` against the emulator in both modes, through the CLI: each
// check reports what the service did (the two modes differ exactly where the real service may
// differ from the client's assumptions), every verdict is ok (the client copes with both), and
// nothing it created is left. In-process, a 429 storm during the burst shows Retry-After read,
// and a project without private visibility shows local_private as unsupported.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startCodeEngineEmulator, type EmulatorBehaviour } from '../../src/emulators/code-engine/index.js';
import { CodeEngineClient } from '../../src/backends/code-engine/client.js';
import { runSmoke, type SmokeRow } from '../../src/backends/code-engine/smoke.js';
import { rawApi } from '../backends/code-engine/backend-support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RUNNER = "import { main } from './src/cli/main.ts'; process.exitCode = await main(process.argv.slice(1));";

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', RUNNER, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => resolve({ code: code ?? 1, out, err }));
  });
}

const EXPECTED: Record<EmulatorBehaviour, Record<string, RegExp>> = {
  realistic: {
    'secret list data': /^absent/,
    'probe read-back': /^defaults filled in/,
    'PATCH then GET revision': /^new revision \d+ ms after the answer/,
    'stale entity tag': /^HTTP 409 entity_tag_mismatch/,
    'asynchronous delete': /^gone \d+ ms after DELETE 202/,
  },
  'strict-client': {
    'secret list data': /^present/,
    'probe read-back': /^echoed as sent/,
    'PATCH then GET revision': /^new revision in the PATCH answer/,
    'stale entity tag': /^HTTP 412 precondition_failed/,
    'asynchronous delete': /^gone at once/,
  },
};

for (const behaviour of ['realistic', 'strict-client'] as const) {
  test(`dev smoke code-engine against the ${behaviour} emulator: a table of checks, all coped with, nothing left`, async () => {
    const emu = await startCodeEngineEmulator({
      behaviour,
      timing: { appReadyDelayMs: 50, revisionLagMs: 200, deleteDelayMs: 400 },
      log: () => undefined,
    });
    try {
      const pid = emu.projects[0].id;
      const args = ['dev', 'smoke', 'code-engine', '--service-url', emu.url, '--iam-url', emu.iamUrl];
      const key = { IBM_CLOUD_API_KEY: 'smoke-test-key-0123' };
      const json = await cli([...args, '--project', pid, '--poll-ms', '50', '--json'], key);
      assert.is(json.code, 0, json.out + json.err);
      const report = JSON.parse(json.out) as { rows: SmokeRow[]; cleanedUp: boolean };
      const by = Object.fromEntries(report.rows.map((r) => [r.check, r]));
      assert.equal(Object.keys(by), [
        'secret list data',
        'probe read-back',
        'duplicate name',
        'PATCH then GET revision',
        'stale entity tag',
        'local_private visibility',
        'Retry-After on 429',
        'asynchronous delete',
        'clean-up',
      ]);
      for (const [check, seen] of Object.entries(EXPECTED[behaviour])) assert.match(by[check].seen, seen, check);
      assert.is(by['duplicate name'].seen, 'HTTP 409 resource_already_exists');
      assert.is(by['local_private visibility'].seen, 'accepted');
      assert.match(by['Retry-After on 429'].seen, /^no 429 in 40/);
      assert.ok(
        report.rows.every((r) => r.verdict === 'ok'),
        JSON.stringify(report.rows),
      );
      assert.ok(report.cleanedUp);
      const apps = (await rawApi(emu, 'GET', `/projects/${pid}/apps`)).body as { apps: unknown[] };
      assert.is(apps.apps.length, 0, 'no app left');
      const secrets = (await rawApi(emu, 'GET', `/projects/${pid}/secrets`)).body as {
        secrets: Array<{ name: string }>;
      };
      assert.not.ok(
        secrets.secrets.some((s) => s.name.startsWith('cf-smoke-')),
        'no secret left',
      );
      assert.not.ok(json.out.includes('smoke-test-key-0123') || json.err.includes('smoke-test-key-0123'));

      // The table form, by project name, and a clear error without an API key.
      const table = await cli([...args, '--project', emu.projects[0].name, '--poll-ms', '50'], key);
      assert.is(table.code, 0, table.err);
      assert.match(table.out, /^check\s+seen\s+verdict\s+detail\n-+/);
      assert.match(table.out, /stale entity tag\s+HTTP 4(09|12)/);
      const noKey = await cli([...args, '--project', pid], { IBM_CLOUD_API_KEY: '' });
      assert.is(noKey.code, 1);
      assert.match(noKey.err, /IBM_CLOUD_API_KEY is not set/);
    } finally {
      await emu.close();
    }
  });
}

test('a 429 during the burst: Retry-After is read; a project without private visibility: unsupported', async () => {
  const emu = await startCodeEngineEmulator({
    projects: [{ name: 'no-private', privateVisibility: false }],
    timing: { appReadyDelayMs: 20, revisionLagMs: 50, deleteDelayMs: 100 },
    seed: 7,
    log: () => undefined,
  });
  const client = new CodeEngineClient({
    apiKey: 'k-0123',
    region: emu.region,
    serviceUrl: emu.url,
    iamUrl: emu.iamUrl,
    retryBaseMs: 5,
  });
  try {
    const report = await runSmoke({
      client,
      projectId: emu.projects[0].id,
      pollMs: 20,
      progress: (line) => {
        if (line === 'checking Retry-After on 429') emu.setFaults({ rate429: 0.5, retryAfterSeconds: 2 });
        if (line === 'checking asynchronous delete') emu.setFaults({ rate429: 0 });
      },
    });
    const row = report.rows.find((r) => r.check === 'Retry-After on 429')!;
    assert.match(row.seen, /^\d+ of 40 got 429, \d+ with Retry-After/);
    assert.match(row.detail ?? '', /Retry-After 2s/);
    const priv = report.rows.find((r) => r.check === 'local_private visibility')!;
    assert.is(priv.verdict, 'unsupported');
    assert.match(priv.seen, /^refused \(HTTP 400\)/);
    assert.match(priv.detail ?? '', /does not support private visibility/);
    assert.ok(report.cleanedUp);
  } finally {
    await client.close();
    await emu.close();
  }
});

test.run();
