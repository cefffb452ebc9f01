// `contextforge dev code-engine` runs the emulator in the foreground: the printed URLs answer
// the IAM token exchange and the /v2 API with the printed project, and Ctrl-C exits 0.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { requireBuild, runCli } from './up-support.js';

requireBuild();

test('dev code-engine serves IAM and /v2 on loopback until interrupted', async () => {
  const run = runCli(['dev', 'code-engine', '--port', '0', '--project', 'playground'], {
    cwd: tmpdir(),
    path: dirname(process.execPath),
  });
  try {
    const api = (await run.waitFor(/service_url\): (http:\/\/127\.0\.0\.1:\d+\/v2)/))[1];
    const iam = (await run.waitFor(/iam_url\):\s+(http:\/\/127\.0\.0\.1:\d+)/))[1];
    const projectId = (await run.waitFor(/project playground \(([0-9a-f-]{36})\)/))[1];
    const tok = await fetch(`${iam}/identity/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'urn:ibm:params:oauth:grant-type:apikey', apikey: 'any-key' }),
    });
    assert.is(tok.status, 200);
    const { access_token } = (await tok.json()) as { access_token: string };
    const res = await fetch(`${api}/projects`, { headers: { authorization: `Bearer ${access_token}` } });
    assert.is(res.status, 200);
    const body = (await res.json()) as { projects: Array<{ id: string; name: string }> };
    assert.equal(
      body.projects.map((p) => [p.id, p.name]),
      [[projectId, 'playground']],
    );
    assert.match(run.stdout(), `project_id: ${projectId}`);
  } finally {
    run.child.kill('SIGINT');
  }
  assert.is(await run.exited, 0, run.stderr());
  assert.match(run.stdout(), 'Stopping the emulator');
});

test('an unknown dev target is an error', async () => {
  const run = runCli(['dev', 'lambda'], { cwd: tmpdir(), path: dirname(process.execPath) });
  assert.is(await run.exited, 1);
  assert.match(run.stderr(), 'unknown dev target "lambda"');
});

test.run();
