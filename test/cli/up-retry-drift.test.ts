// `up` keeps converging after its first apply, through the compiled CLI: a runtime that fails to
// start is retried with backoff until it starts (the process backend: a real command that exits
// until a file exists), and a Docker container removed by hand is put back by the periodic
// drift pass (`--interval`), as `watch` does. Both wait for up's own output lines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { docker, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { ensureFixtureImages, EVERYTHING_IMAGE } from '../support/images.js';
import { cleanupCopy, quickstartCopy, requireBuild, runCli, runCliSync, type CliRun } from './up-support.js';

requireBuild();
const copies = [quickstartCopy(), quickstartCopy()];
const runs: CliRun[] = [];
const stack = uniqueName('updrift').replace(/[^a-z0-9_-]/g, '-');

test('a runtime that failed to start is retried with backoff until it starts', async () => {
  const copy = copies[0];
  const marker = join(copy.dir, 'ready');
  writeFileSync(
    join(copy.dir, 'flaky.sh'),
    `#!/bin/sh\n[ -f '${marker}' ] || { echo "not ready yet" >&2; exit 1; }\nexec node examples/quickstart-server/server.js\n`,
  );
  writeFileSync(
    join(copy.dir, 'contextforge.yaml'),
    `name: flaky
backends:
  local:
    type: process
    restart: {max_restarts: 0}
catalog:
  - name: Flaky
    slug: flaky
    source: {type: command, command: /bin/sh, args: [flaky.sh]}
    guardrails_profile: unrestricted
runtimes:
  - {name: flaky, catalog: flaky, backend: local}
`,
  );
  const up = runCli(['up', '--port', '0', '--no-watch'], { cwd: copy.dir, path: `${copy.path}:/bin:/usr/bin` });
  runs.push(up);
  await up.waitFor(/runtime\.flaky did not start/, 120_000);
  await up.waitFor(/The apply did not complete: retrying in \d+s\./, 60_000);
  await up.waitFor(/Gateway listening on/, 60_000);
  writeFileSync(marker, '');
  await up.waitFor(/flaky: connected \(3 tools/, 180_000);
  up.child.kill('SIGINT');
  assert.is(await up.exited, 0, up.stdout() + up.stderr());
});

test('up repairs a container removed by hand on its drift interval', async () => {
  if (!(await requireDocker('up drift repair'))) return skip('the Docker daemon does not answer');
  await ensureFixtureImages();
  const copy = copies[1];
  writeFileSync(
    join(copy.dir, 'contextforge.yaml'),
    `name: ${stack}
backends:
  box:
    type: docker
    allow_local_images: true
catalog:
  - name: Everything over HTTP
    slug: ev-http
    source: {type: docker, image: "${EVERYTHING_IMAGE}", args: [streamableHttp], pull: never}
    transport: {type: streamable-http, port: 3001, path: /mcp}
    guardrails_profile: unrestricted
runtimes:
  - {name: evhttp, catalog: ev-http, backend: box}
`,
  );
  const up = runCli(['up', '--port', '0', '--no-watch', '--interval', '1s', '--down-on-exit'], {
    cwd: copy.dir,
    path: copy.path,
    env: process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {},
  });
  runs.push(up);
  await up.waitFor(/evhttp: connected \(\d+ tools/, 180_000);
  const before = await docker().listContainers({ filters: { label: [`dev.contextforge.stack=${stack}`] } });
  assert.is(before.length, 1);
  const from = up.stdout().length;
  await docker().getContainer(before[0].Id).remove({ force: true });
  // The next drift pass plans the missing container and creates it again (output after `from`).
  await up.waitFor(/create:drift-missing[^]*Apply complete!/, 120_000);
  const repair = up.stdout().slice(from);
  assert.match(repair, /runtime\.evhttp will be created \(create:drift-missing\)/);
  assert.match(repair, /Apply complete!/);
  const after = await docker().listContainers({ filters: { label: [`dev.contextforge.stack=${stack}`] } });
  assert.is(after.length, 1);
  assert.is.not(after[0].Id, before[0].Id);
  assert.is(after[0].State, 'running');
  up.child.kill('SIGINT');
  assert.is(await up.exited, 0, up.stdout() + up.stderr());
});

test.after(async () => {
  for (const r of runs)
    if (r.child.exitCode === null) {
      r.child.kill('SIGKILL');
      await r.exited;
    }
  runCliSync(['destroy', '--auto-approve'], { cwd: copies[1].dir, path: copies[1].path });
  for (const c of copies) cleanupCopy(c);
});

test.run();
