// The plan/apply engine end to end against the real Docker engine, through the CLI as a user
// runs it: the full cycle on 3 runtimes (create, no-op, env edit → 1 replace, drift by
// `docker rm -f`, removal → 1 delete, destroy), kill -9 of apply midway, two concurrent applies,
// a stale saved plan, an unreachable daemon, and a grep for the secret in every output.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { docker, removeByLabel, requireDocker, uniqueName } from '../support/docker.js';
import { skip } from '../support/skip.js';
import { EVERYTHING_IMAGE, ensureFixtureImages } from '../support/images.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const STACK = uniqueName('cfe2e');
const SECRET = `e2e-secret-${randomBytes(8).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'cf-engine-e2e-'));
const configFile = join(dir, 'contextforge.yaml');
/** Everything any CLI run printed, for the final secret grep. */
let transcript = '';
let dockerOk = false;

interface RuntimeDef {
  name: string;
  env?: Record<string, string>;
  secret?: boolean;
  dependsOn?: string[];
}

function writeConfig(runtimes: RuntimeDef[], extra: { socket?: string; stack?: string } = {}, file = configFile): void {
  const lines = [
    `name: ${extra.stack ?? STACK}`,
    'backends:',
    '  local:',
    '    type: docker',
    '    allow_local_images: true',
    ...(extra.socket ? [`    socket: ${extra.socket}`] : []),
    'profiles:',
    '  open:',
    '    network: { egress_allowed: true, ingress_ports: [3001] }',
    '    resources: { max_memory: 256m, max_pids: 200 }',
    'defaults:',
    '  guardrails_profile: open',
    'catalog:',
    '  - name: Echo',
    '    slug: echo',
    `    source: { type: docker, image: "${EVERYTHING_IMAGE}", args: [streamableHttp], pull: never }`,
    '    transport: { type: streamable-http, port: 3001, path: /mcp }',
    '    env:',
    '      API_TOKEN: { secret: true }',
    'runtimes:',
  ];
  for (const r of runtimes) {
    lines.push(`  - name: ${r.name}`, '    catalog: echo', '    backend: local');
    if (r.env) lines.push(`    env: ${JSON.stringify(r.env)}`);
    if (r.secret) lines.push('    secrets: { API_TOKEN: "${E2E_TOKEN}" }');
    if (r.dependsOn) lines.push(`    depends_on: ${JSON.stringify(r.dependsOn)}`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

const RUNNER = "import { main } from './src/cli/main.ts'; process.exitCode = await main(process.argv.slice(1));";

function start(
  args: string[],
  onOut?: (out: string) => void,
  nodeArgs: string[] = [],
): ChildProcess & { out: () => string; err: () => string; done: Promise<number> } {
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', '--input-type=module', '-e', RUNNER, ...args],
    {
      cwd: root,
      env: { ...process.env, E2E_TOKEN: SECRET, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  ) as ChildProcess & { out: () => string; err: () => string; done: Promise<number> };
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    out += d;
    onOut?.(out);
  });
  child.stderr!.on('data', (d) => (err += d));
  child.out = () => out;
  child.err = () => err;
  child.done = new Promise((resolve) =>
    child.on('close', (code, signal) => {
      transcript += out + err;
      resolve(code ?? (signal ? 128 : 1));
    }),
  );
  return child;
}

async function cf(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  // --file, not -f: on `logs`, -f means --follow (as in docker logs).
  const c = start([...args, '--file', configFile]);
  const code = await c.done;
  return { code, out: c.out(), err: c.err() };
}

async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function containers(): Promise<{ id: string; address: string; role: string; state: string }[]> {
  const list = await docker().listContainers({ all: true, filters: { label: [`dev.contextforge.stack=${STACK}`] } });
  return list.map((c) => ({
    id: c.Id,
    address: c.Labels['dev.contextforge.address'],
    role: c.Labels['dev.contextforge.role'] ?? 'main',
    state: c.State,
  }));
}

async function mainContainers(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const c of await containers()) if (c.role === 'main') (out[c.address] ??= []).push(c.id);
  return out;
}

const BASE: RuntimeDef[] = [
  { name: 'alpha', env: { LEVEL: 'info' }, secret: true },
  { name: 'bravo', env: { LEVEL: 'info' }, dependsOn: ['alpha'] },
  { name: 'charlie', env: { LEVEL: 'info' } },
];

test.before(async () => {
  dockerOk = await requireDocker('engine e2e (docker)');
  if (dockerOk) await ensureFixtureImages();
});

test.after(async () => {
  if (dockerOk) await removeByLabel({ 'dev.contextforge.stack': STACK });
  rmSync(dir, { recursive: true, force: true });
});

test('full cycle: 3 creates → no changes → 1 replace → drift repaired → stale plan refused → 1 delete', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  writeConfig(BASE);
  let r = await cf('plan', '--detailed-exitcode');
  assert.is(r.code, 2, r.err);
  assert.is(r.out.match(/will be created/g)?.length, 3, r.out);
  assert.match(r.out, /Plan: 3 to create, 0 to update, 0 to replace, 0 to destroy\./);

  r = await cf('apply', '--auto-approve');
  assert.is(r.code, 0, r.out + r.err);
  assert.match(r.out, /runtime\.alpha: Creation complete after [\d.]+s/);
  assert.ok(
    r.out.indexOf('runtime.alpha: Creation complete') < r.out.indexOf('runtime.bravo: Creating...'),
    'bravo waits for alpha',
  );
  const first = await mainContainers();
  assert.equal(Object.keys(first).sort(), ['runtime.alpha', 'runtime.bravo', 'runtime.charlie']);
  assert.ok(Object.values(first).every((ids) => ids.length === 1));

  r = await cf('plan', '--detailed-exitcode');
  assert.is(r.code, 0, r.out + r.err);
  assert.match(r.out, /No changes\./);

  // A no-change apply makes zero write calls to the daemon (recorded in the run summary).
  r = await cf('apply', '--auto-approve');
  assert.is(r.code, 0);
  const runs = JSON.parse((await cf('history', '--json', '--limit', '1')).out) as {
    kind: string;
    summary: { writeCalls: number };
  }[];
  assert.is(runs[0].kind, 'apply');
  assert.is(runs[0].summary.writeCalls, 0);
  assert.equal(await mainContainers(), first, 'nothing was recreated');

  // Edit one runtime's env: exactly one replace.
  writeConfig([BASE[0], { ...BASE[1], env: { LEVEL: 'debug' } }, BASE[2]]);
  r = await cf('plan', '--json');
  assert.is(r.code, 0, r.err);
  const plan = JSON.parse(r.out) as {
    changes: {
      address: string;
      action: string;
      reason: string;
      fields: { path: string; before: unknown; after: unknown }[];
    }[];
  };
  const acting = plan.changes.filter((c) => c.action !== 'noop');
  assert.equal(
    acting.map((c) => [c.address, c.action]),
    [['runtime.bravo', 'replace']],
  );
  assert.ok(
    acting[0].fields.some((f) => f.path === 'env.LEVEL' && f.before === 'info' && f.after === 'debug'),
    JSON.stringify(acting[0].fields),
  );
  r = await cf('plan', '--format', 'markdown');
  assert.match(r.out, /<summary><code>-\/\+ runtime\.bravo<\/code>/);
  r = await cf('apply', '--auto-approve');
  assert.is(r.code, 0, r.out + r.err);
  const second = await mainContainers();
  assert.is.not(second['runtime.bravo'][0], first['runtime.bravo'][0], 'bravo was replaced');
  assert.is(second['runtime.alpha'][0], first['runtime.alpha'][0], 'alpha untouched');
  assert.is(second['runtime.charlie'][0], first['runtime.charlie'][0], 'charlie untouched');

  // Drift: a container removed by hand.
  await docker().getContainer(second['runtime.charlie'][0]).remove({ force: true });
  r = await cf('plan', '--detailed-exitcode', '-out', join(dir, 'drift.plan.json'));
  assert.is(r.code, 2);
  assert.match(r.out, /runtime\.charlie will be created \(create:drift-missing\)/);
  // Repair it (this also moves the live state past the saved plan).
  r = await cf('apply', '--auto-approve');
  assert.is(r.code, 0, r.out + r.err);
  assert.is((await mainContainers())['runtime.charlie'].length, 1);
  assert.match((await cf('events', '--type', 'drift.repaired')).out, /runtime\.charlie/);
  // The saved plan is stale now.
  r = await cf('apply', join(dir, 'drift.plan.json'));
  assert.is(r.code, 1);
  assert.match(r.err, /error\[plan\.stale\]: saved plan is stale: the live state changed since it was made/);
  // The hint re-plans the same config (-f), not ./contextforge.yaml.
  assert.match(r.err, /plan -f \S+ -out /);

  // A fresh saved plan applies (no prompt needed for a plan file).
  writeConfig([BASE[0], { ...BASE[1], env: { LEVEL: 'debug' } }]);
  r = await cf('plan', '-out', join(dir, 'delete.plan.json'), '--detailed-exitcode');
  assert.is(r.code, 2);
  assert.match(r.out, /runtime\.charlie will be destroyed \(delete:not-in-config\)/);
  assert.match(r.out, /Plan: 0 to create, 0 to update, 0 to replace, 1 to destroy\./);
  const saved = readFileSync(join(dir, 'delete.plan.json'), 'utf8');
  assert.not.ok(saved.includes(SECRET), 'the saved plan holds no secret value');
  r = await cf('apply', join(dir, 'delete.plan.json'));
  assert.is(r.code, 0, r.out + r.err);
  assert.equal(Object.keys(await mainContainers()).sort(), ['runtime.alpha', 'runtime.bravo']);
});

test('kill -9 of apply midway, then apply again: converges without duplicates or orphans', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  const many: RuntimeDef[] = [
    BASE[0],
    { ...BASE[1], env: { LEVEL: 'debug' } },
    ...['d1', 'd2', 'd3', 'd4'].map((name) => ({ name, env: { LEVEL: 'info' } })),
  ];
  // The apply kills itself with SIGKILL at a fixed point: a preloaded module watches what it
  // prints and, the moment it has printed "Creating..." for a second runtime (the first one's
  // container created, its health still awaited), sends SIGKILL to its own pid. Writes to a pipe are synchronous on Linux, so the line
  // is out and nothing after it runs: no exit handler, no lock release, no state flush. Killing from
  // the test process instead raced with the apply on a busy machine (the apply could finish before
  // the test process even read the line).
  const killer = join(dir, 'kill-at-second-create.mjs');
  writeFileSync(
    killer,
    [
      'const write = process.stdout.write.bind(process.stdout);',
      'let seen = 0;',
      'process.stdout.write = (chunk, ...rest) => {',
      '  const done = write(chunk, ...rest);',
      '  seen += (String(chunk).match(/Creating\\.\\.\\./g) ?? []).length;',
      "  if (seen >= 2) process.kill(process.pid, 'SIGKILL');",
      '  return done;',
      '};',
      '',
    ].join('\n'),
  );
  writeConfig(many);
  const child = start(['apply', '--auto-approve', '--parallelism', '1', '-f', configFile], undefined, [
    '--import',
    pathToFileURL(killer).href,
  ]);
  await child.done;
  assert.is(child.signalCode, 'SIGKILL', `apply was killed, not finished: ${child.out()}${child.err()}`);
  assert.match(child.out(), /runtime\.d1: creating container/, 'the first creation had begun');
  const partial = await mainContainers();
  assert.ok(
    Object.keys(partial).length < many.length,
    `apply was killed before finishing (${Object.keys(partial).length} of ${many.length})`,
  );

  const r = await cf('apply', '--auto-approve');
  assert.is(r.code, 0, r.out + r.err);
  assert.match(r.out, /Took over the lock of stack .* from pid \d+ on host .*: that process no longer exists\./);
  const after = await mainContainers();
  assert.equal(Object.keys(after).sort(), many.map((m) => `runtime.${m.name}`).sort());
  for (const [address, ids] of Object.entries(after))
    assert.is(ids.length, 1, `${address} has ${ids.length} containers`);
  const all = await containers();
  assert.ok(
    all.every((c) => c.state === 'running'),
    JSON.stringify(all),
  );
  assert.ok(
    all.every((c) => after[c.address]),
    'no orphaned container of the stack',
  );
  assert.is((await cf('plan', '--detailed-exitcode')).code, 0, 'converged');
});

test('two concurrent applies: the second fails naming the holder, a patient third waits; no interleaving', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  // Six replaces one at a time keep the first apply holding the lock for a good while.
  const all = [BASE[0], BASE[1], ...['d1', 'd2', 'd3', 'd4'].map((name) => ({ name }))].map((r) => ({
    ...r,
    env: { LEVEL: 'warn' },
  }));
  writeConfig(all);
  const a = start(['apply', '--auto-approve', '--parallelism', '1', '-f', configFile]);
  await until(() => /Replacing\.\.\./.test(a.out()), 60_000, 'the first apply to start replacing');
  const b = start(['apply', '--auto-approve', '--lock-timeout', '1s', '-f', configFile]);
  const codeB = await b.done;
  const aStillRunning = a.exitCode === null;
  assert.ok(
    aStillRunning,
    'the first apply finished before the second one tried the lock; the machine is too slow for this check',
  );
  assert.is(codeB, 1, b.out() + b.err());
  assert.match(
    b.err(),
    new RegExp(
      `error\\[state\\.locked\\]: the state of stack ${STACK} is locked by pid ${a.pid} on host \\S+ \\(apply, since `,
    ),
    b.err(),
  );
  assert.match(b.err(), /force-unlock/);
  assert.not.match(b.out(), /Replacing|Creating|Destroying/, 'the refused apply changed nothing');
  // A third apply with a long lock timeout waits for the first, then finds nothing to do.
  const c = start(['apply', '--auto-approve', '--lock-timeout', '180s', '-f', configFile]);
  assert.is(await a.done, 0, a.out() + a.err());
  assert.is(await c.done, 0, c.out() + c.err());
  assert.match(c.out(), /No changes\./, 'the waiting apply planned after the first one finished');
  assert.not.match(c.out(), /Replacing|Creating|Destroying/);
});

test('a plan against a daemon that does not answer is a diagnostic with a fix, exit 1', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  const other = join(dir, 'unreachable.yaml');
  writeConfig([BASE[0]], { socket: join(dir, 'no-daemon-here.sock'), stack: `${STACK}-x` }, other);
  const p = start(['plan', '-f', other]);
  const code = await p.done;
  assert.is(code, 1);
  assert.match(p.err(), /error\[docker\.unreachable\]: The Docker daemon at .*no-daemon-here\.sock is not answering/);
  assert.match(p.err(), /Start the daemon/);
});

test('status shows each runtime; logs print; destroy leaves nothing of the stack; no secret anywhere', async () => {
  if (!dockerOk) return skip('the Docker daemon does not answer');
  let r = await cf('status', '--json');
  assert.is(r.code, 0, r.err);
  const st = JSON.parse(r.out) as { runtimes: { runtime: string; state: string; endpoint?: string }[] };
  assert.equal(
    st.runtimes.map((x) => x.runtime),
    ['alpha', 'bravo', 'd1', 'd2', 'd3', 'd4'],
  );
  assert.ok(
    st.runtimes.every((x) => x.state === 'running' && /^http:\/\/127\.0\.0\.1:\d+\/mcp$/.test(x.endpoint ?? '')),
    r.out,
  );
  r = await cf('logs', 'alpha', '--tail', '20');
  assert.is(r.code, 0, r.err);
  r = await cf('destroy');
  assert.is(r.code, 1, 'destroy without a terminal and without --auto-approve refuses');
  assert.match(r.err, /apply\.needs-confirmation|needs confirmation/);
  r = await cf('destroy', '--auto-approve');
  assert.is(r.code, 0, r.out + r.err);
  assert.match(r.out, /Destroy complete! Resources: 6 destroyed\./);
  const d = docker();
  const label = { label: [`dev.contextforge.stack=${STACK}`] };
  assert.equal(await d.listContainers({ all: true, filters: label }), []);
  assert.equal(await d.listNetworks({ filters: label }), []);
  assert.equal((await d.listVolumes({ filters: label })).Volumes ?? [], []);

  // The secret was used (alpha ran with it) but never printed, stored, or labelled.
  assert.ok(transcript.length > 1000);
  assert.not.ok(transcript.includes(SECRET), 'secret found in CLI output');
  const stateDir = join(dir, '.contextforge');
  for (const f of readdirSync(stateDir)) {
    assert.is(readFileSync(join(stateDir, f)).indexOf(Buffer.from(SECRET)), -1, `secret found in ${f}`);
  }
});

test.run();
