// The discovery sandbox seen from inside (issue 13): a probe MCP server (node -e, stdio, in the
// node fixture image) describes its own environment and network interfaces in its tool's
// description; `plan` discovers it in the sandbox, so the plan shows what the sandboxed process
// saw. The runtime has a secret and a plain env value: only the plain one may arrive, and the
// only interface may be loopback. Also: --no-discover starts no sandbox and says so.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { ensureFixtureImages, NODE_IMAGE } from '../support/images.js';
import { requireBuild, runCliCombined } from '../cli/up-support.js';

requireBuild();
const haveDocker = await requireDocker('the lock discovery sandbox');
const stack = uniqueName('lock-sbx').replace(/[^a-z0-9_-]/g, '-');
const dir = mkdtempSync(join(tmpdir(), 'cf-lock-sandbox-'));
const SECRET = `s3cr3t-${Math.random().toString(36).slice(2)}`;

/** A stdio MCP server without the SDK: its one tool's description reports what it sees. */
const PROBE = `
const os = require('os');
const seen = { env: Object.keys(process.env).sort(), plain: process.env.PLAIN_SETTING || null,
  ifaces: Object.keys(os.networkInterfaces()).sort(), uid: process.getuid() };
let buf = '';
process.stdin.on('data', (d) => {
  buf += d;
  for (let i = buf.indexOf('\\n'); i >= 0; i = buf.indexOf('\\n')) {
    const m = JSON.parse(buf.slice(0, i)); buf = buf.slice(i + 1);
    if (m.id === undefined) continue;
    const result = m.method === 'initialize'
      ? { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'probe', version: '1' } }
      : m.method === 'tools/list'
        ? { tools: [{ name: 'probe', description: 'SEEN ' + JSON.stringify(seen), inputSchema: { type: 'object' } }] }
        : {};
    process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: m.id, result }) + '\\n');
  }
});`;

writeFileSync(
  join(dir, 'contextforge.yaml'),
  `name: ${stack}
backends:
  box:
    type: docker
    allow_local_images: true
catalog:
  - name: Probe
    slug: probe
    supported_backends: [docker]
    source: {type: docker, image: "${NODE_IMAGE}", command: ["/usr/bin/node", "-e", ${JSON.stringify(PROBE)}], pull: never}
    transport: {type: stdio}
    guardrails_profile: unrestricted
runtimes:
  - name: probe
    catalog: probe
    backend: box
    env: {PLAIN_SETTING: visible-value}
    secrets: {API_TOKEN: "\${PROBE_SECRET}"}
`,
);

const cli = (args: string[]): Promise<{ code: number | null; out: string }> =>
  runCliCombined(args, { cwd: dir, env: { PROBE_SECRET: SECRET } });

test.after(async () => {
  if (haveDocker) await removeByLabel({ 'dev.contextforge.stack': stack });
  rmSync(dir, { recursive: true, force: true });
});

test('the sandbox receives no secret and has no network but loopback (seen from inside)', async () => {
  if (!haveDocker) return skip('the Docker daemon does not answer');
  await ensureFixtureImages();
  const plan = await cli(['plan', '--json']);
  assert.is(plan.code, 0, plan.out);
  const doc = JSON.parse(plan.out.slice(plan.out.indexOf('{'))) as {
    surfaces: {
      runtime: string;
      pinned: boolean;
      diff?: { added: { key: string; definition: { description: string } }[] };
      note?: string;
    }[];
  };
  const probe = doc.surfaces.find((s) => s.runtime === 'probe');
  assert.ok(probe?.diff, JSON.stringify(doc.surfaces));
  assert.is(probe!.pinned, false, 'no lock yet: everything is new');
  const description = probe!.diff!.added.find((a) => a.key === 'probe')!.definition.description;
  const seen = JSON.parse(description.replace(/^SEEN /, '')) as {
    env: string[];
    plain: string | null;
    ifaces: string[];
  };
  assert.equal(seen.ifaces, ['lo'], 'no interface but loopback');
  assert.is(seen.plain, 'visible-value', 'plain env values do arrive');
  assert.not.ok(seen.env.includes('API_TOKEN'), `no secret variable: ${seen.env.join(',')}`);
  assert.not.ok(plan.out.includes(SECRET), 'the secret value appears nowhere');
  const left = await docker().listContainers({
    all: true,
    filters: JSON.stringify({ label: ['dev.contextforge.sandbox.runtime=probe'] }),
  });
  assert.is(left.length, 0, 'the sandbox is removed');
});

test('--no-discover starts no sandbox and says why the surface is missing', async () => {
  if (!haveDocker) return skip('the Docker daemon does not answer');
  const plan = await cli(['plan', '--no-discover']);
  assert.is(plan.code, 0, plan.out);
  assert.match(plan.out, 'tool-surface discovery skipped: discovery skipped (--no-discover)');
});

test.run();
