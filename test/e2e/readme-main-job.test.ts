// The README's main-job line on a fresh copy of the repository, with npm unable to download:
// the npm cache points at an empty directory and npm_config_offline=true, so any registry fetch
// (npx installing the project into its cache, say) fails. The copy is a `git clone` of this
// repository's committed HEAD. The line is `npm ci && <main job>`; `npm ci` itself cannot install
// from an empty offline cache, so the test does what it would do instead: node_modules is copied
// from this checkout (hard links where possible), and `npm run prepare` (the build `npm ci` runs
// after installing) builds dist/. Then it runs the main-job part exactly as the README spells it,
// plus `-- --port 0` so that parallel runs never collide on 4444; it waits for the gateway's
// readiness line, lists tools through /mcp with the generated token, stops it with SIGINT and
// destroys the supervised server.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { livePids, REPO } from '../cli/up-support.js';

const tmp = mkdtempSync(join(tmpdir(), 'cf-readme-'));
const clone = join(tmp, 'repo');
const cache = join(tmp, 'empty-npm-cache');
const home = join(tmp, 'home');
mkdirSync(cache);
mkdirSync(home);
// No user npmrc, an empty cache, and no network for npm: a download attempt is an error.
const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: home,
  LANG: 'C',
  NO_COLOR: '1',
  npm_config_cache: cache,
  npm_config_offline: 'true',
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
};
let up: ChildProcess | undefined;

/** The README's quick-start line that is commented "the main job". */
function mainJobLine(): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const quick = readme.slice(readme.indexOf('## Quick start'));
  const line = quick.split('\n').find((l) => l.includes('# the main job'));
  assert.ok(line, 'the README quick start has a line commented "the main job"');
  return line.slice(0, line.indexOf('#')).trim();
}

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 10 * 60_000 });
  assert.is(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
}

test("the main-job line is `npm ci && <a command that runs this checkout's own bin>`", () => {
  const line = mainJobLine();
  assert.match(line, /^npm ci && \S/);
  assert.not.match(line, /\bnpx\b/, 'npx would install the project into its cache first');
});

test('on a fresh clone with an empty offline npm cache, the main job serves the quick start', async () => {
  const main = mainJobLine().replace(/^npm ci && /, '');
  run('git', ['clone', '--quiet', '--no-hardlinks', REPO, clone], tmp);
  // What `npm ci` installs, taken from this checkout (it cannot download here).
  const linked = spawnSync('cp', ['-al', join(REPO, 'node_modules'), join(clone, 'node_modules')]);
  if (linked.status !== 0) run('cp', ['-a', join(REPO, 'node_modules'), join(clone, 'node_modules')], tmp);
  run('npm', ['run', 'prepare'], clone);

  // The main job as the README spells it, in a shell like a user's, in its own process group.
  up = spawn('sh', ['-c', `${main} -- --port 0`], {
    cwd: clone,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  up.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  up.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<string>((r) => up!.once('exit', (code, signal) => r(signal ?? String(code))));
  const url = await new Promise<string>((resolve, reject) => {
    const tick = setInterval(() => {
      const m = out.match(/Gateway listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/);
      if (m) {
        clearInterval(tick);
        resolve(m[1]);
      } else if (up!.exitCode !== null) {
        clearInterval(tick);
        reject(new Error(`the main job exited (${up!.exitCode}) before serving:\n${out}`));
      }
    }, 50);
  });
  assert.match(out, 'Apply complete! Resources: 1 created');

  const token = readFileSync(join(clone, '.contextforge', 'gateway.token'), 'utf8').trim();
  const client = new Client({ name: 'readme-main-job', version: '0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  const names = (await client.listTools()).tools.map((t) => t.name);
  assert.ok(names.includes('quickstart__echo'), names.join(', '));
  await client.close();

  process.kill(-up.pid!, 'SIGINT');
  // The shell and npm end on the signal itself; the CLI under them says it stopped the gateway.
  const how = await exited;
  up = undefined;
  assert.ok(['0', '130', 'SIGINT'].includes(how), `the main job stopped on Ctrl-C (${how}):\n${out}`);
  assert.match(out, 'Gateway stopped');
  assert.not.match(out, /npm (error|ERR!)|ENOTCACHED/, 'npm fetched nothing');
});

test.after(() => {
  if (up?.pid && up.exitCode === null) {
    try {
      process.kill(-up.pid, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
  if (livePids(clone).length)
    spawnSync(process.execPath, [join(clone, 'bin', 'contextforge.js'), 'destroy', '--auto-approve'], {
      cwd: clone,
      env,
      timeout: 60_000,
    });
  for (const p of livePids(clone)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
  rmSync(tmp, { recursive: true, force: true });
});

test.run();
