// `status` on the real Docker engine shows HEALTH for runtimes whose image has no Docker
// healthcheck: a stdio runtime by apply's own test (its container runs), an HTTP runtime by one
// MCP initialize; a stopped container is not reported healthy.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { docker, removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { EVERYTHING_IMAGE, ensureFixtureImages } from '../support/images.js';
import { skip } from '../support/skip.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const STACK = uniqueName('cfhealth');
const dir = mkdtempSync(join(tmpdir(), 'cf-health-e2e-'));
const configFile = join(dir, 'contextforge.yaml');
let dockerOk = false;

writeFileSync(
  configFile,
  `name: ${STACK}
backends:
  local:
    type: docker
    allow_local_images: true
catalog:
  - name: Everything over stdio
    slug: ev-stdio
    source: {type: docker, image: "${EVERYTHING_IMAGE}", args: [stdio], pull: never}
    transport: {type: stdio}
    guardrails_profile: unrestricted
  - name: Everything over HTTP
    slug: ev-http
    source: {type: docker, image: "${EVERYTHING_IMAGE}", args: [streamableHttp], pull: never}
    transport: {type: streamable-http, port: 3001, path: /mcp}
    guardrails_profile: unrestricted
runtimes:
  - {name: io, catalog: ev-stdio, backend: local, restart: "no"}
  - {name: web, catalog: ev-http, backend: local}
`,
);

const RUNNER = "import { main } from './src/cli/main.ts'; process.exitCode = await main(process.argv.slice(1));";

function cf(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', RUNNER, ...args, '-f', configFile],
    { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((res) => child.on('close', (code) => res({ code: code ?? 1, out, err })));
}

async function health(): Promise<Record<string, string | undefined>> {
  const r = await cf('status', '--json');
  assert.is(r.code, 0, r.err);
  const rows = (JSON.parse(r.out) as { runtimes: { runtime: string; health?: string }[] }).runtimes;
  return Object.fromEntries(rows.map((x) => [x.runtime, x.health]));
}

test.before(async () => {
  dockerOk = await requireDocker('docker status health');
  if (dockerOk) await ensureFixtureImages();
});

test.after(async () => {
  if (dockerOk) await removeByLabel({ 'dev.contextforge.stack': STACK });
  rmSync(dir, { recursive: true, force: true });
});

test('HEALTH of stdio and HTTP runtimes without a Docker healthcheck', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  const r = await cf('apply', '--auto-approve');
  assert.is(r.code, 0, r.out + r.err);
  assert.equal(await health(), { io: 'healthy', web: 'healthy' });
  const text = await cf('status');
  assert.match(text.out, /^io\s+local\s+running\s+healthy\s/m);
  // A stopped stdio container is not healthy.
  const [io] = await docker().listContainers({
    filters: {
      label: [`dev.contextforge.stack=${STACK}`, 'dev.contextforge.runtime=io', 'dev.contextforge.role=main'],
    },
  });
  await docker().getContainer(io.Id).stop({ t: 1 });
  const after = await health();
  assert.is.not(after.io, 'healthy');
  assert.is(after.web, 'healthy');
});

test.run();
