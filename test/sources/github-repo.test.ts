// GitHub source plumbing without Docker: clone URLs from repo + github.base_url, ls-remote
// parsing and ref selection, and credentials: an HTTPS token reaches the git server as an
// Authorization header (checked against a local HTTP server that records it) while never
// appearing in git's arguments or in the diagnostic; an SSH key goes into GIT_SSH_COMMAND.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { gitEnv, isSshUrl, repoUrl, scrubGit } from '../../src/sources/github/repo.js';
import { parseLsRemote, pickRef, resolveRef } from '../../src/sources/github/resolve.js';
import { checkoutCommit } from '../../src/sources/github/checkout.js';
import { LocalRepo } from './harness.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

test('repoUrl: owner/name on the default host, on a URL base, on a path base; full URLs and paths as given', () => {
  assert.is(repoUrl({ repo: 'org/srv', configDir: '/cfg' }), 'https://github.com/org/srv');
  assert.is(
    repoUrl({ repo: 'org/srv', baseUrl: 'https://git.example.com/', configDir: '/cfg' }),
    'https://git.example.com/org/srv',
  );
  assert.is(repoUrl({ repo: 'org/srv', baseUrl: 'repos', configDir: '/cfg' }), 'file:///cfg/repos/org/srv');
  assert.is(repoUrl({ repo: 'org/srv', baseUrl: 'file:///srv/git', configDir: '/cfg' }), 'file:///srv/git/org/srv');
  assert.is(repoUrl({ repo: './local', configDir: '/cfg' }), 'file:///cfg/local');
  assert.is(repoUrl({ repo: 'git@github.com:org/srv.git', configDir: '/cfg' }), 'git@github.com:org/srv.git');
  assert.ok(isSshUrl('git@github.com:org/srv.git'));
  assert.ok(isSshUrl('ssh://git@host/org/srv'));
  assert.not.ok(isSshUrl('https://github.com/org/srv'));
});

test('ls-remote parsing: branches, peeled tags over tag objects, HEAD, unique short commits', () => {
  const refs = parseLsRemote(
    `${A}\tHEAD\n${A}\trefs/heads/main\n${B}\trefs/tags/v1\n${C}\trefs/tags/v1^{}\nnot a line\n`,
  );
  assert.is(pickRef(refs, 'main'), A);
  assert.is(pickRef(refs, 'HEAD'), A);
  assert.is(pickRef(refs, 'v1'), C, 'the commit a tag points at, not the tag object');
  assert.is(pickRef(refs, 'ccccccc'), C);
  assert.is(pickRef(refs, 'missing'), undefined);
  assert.is(pickRef(refs, B), B, 'a full SHA is taken as is');
});

test('gitEnv: token as an extra header in env only, SSH key with IdentitiesOnly, foreign GIT_* dropped', () => {
  const env = gitEnv(
    { token: 'tok-secret-1234', sshKeyFile: "/keys/it's" },
    { PATH: '/bin', GIT_PAGER: 'less', HOME: '/root' },
    'https://github.com/org/srv.git',
  );
  assert.is(env.GIT_CONFIG_KEY_0, 'http.extraHeader');
  assert.is(
    env.GIT_CONFIG_VALUE_0,
    `Authorization: Basic ${Buffer.from('x-access-token:tok-secret-1234').toString('base64')}`,
  );
  assert.match(env.GIT_SSH_COMMAND, /-i '\/keys\/it'\\''s' -o IdentitiesOnly=yes/);
  assert.is(env.GIT_PAGER, undefined);
  assert.is(env.PATH, '/bin');
  const foreign = gitEnv({ token: 'tok-secret-1234' }, { PATH: '/bin' }, 'https://git.example.net/org/srv.git');
  assert.is(foreign.GIT_CONFIG_VALUE_0, undefined, 'no token for a host the operator did not allow');
  assert.is(
    gitEnv({ token: 'tok-secret-1234' }, { PATH: '/bin' }).GIT_CONFIG_VALUE_0,
    undefined,
    'no token when the remote is unknown',
  );
  assert.is(
    scrubGit('fatal: https://user:tok-secret-1234@host/x failed tok-secret-1234', { token: 'tok-secret-1234' }),
    'fatal: https://host/x failed (sensitive)',
  );
});

test('an HTTPS token reaches the git server as a header and never shows in the diagnostic', async () => {
  const seen: Array<string | undefined> = [];
  const server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end('denied');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const token = 'ghp_testtoken_0123456789';
    const r = await resolveRef({
      url: `http://127.0.0.1:${port}/org/srv.git`,
      ref: 'main',
      credentials: { token },
      address: 'runtime.x',
    });
    assert.is(r.value, undefined);
    assert.is(r.diags[0].code, 'github.unreachable');
    assert.ok(
      seen.includes(`Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`),
      JSON.stringify(seen),
    );
    const all = JSON.stringify(r.diags);
    assert.not.ok(all.includes(token), all);
    assert.not.ok(all.includes(Buffer.from(`x-access-token:${token}`).toString('base64')), all);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('resolve and checkout against a real local repository; an unknown ref is a diagnostic', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cf-srcrepo-'));
  try {
    const repo = new LocalRepo(dir);
    const sha1 = await repo.init();
    await repo.git.addTag('v1');
    const sha2 = await repo.commit({ 'extra.txt': 'two\n' }, 'two');
    const url = `file://${dir}`;
    assert.is((await resolveRef({ url, ref: 'main' })).value, sha2);
    assert.is((await resolveRef({ url, ref: 'v1' })).value, sha1);
    assert.is(
      (await resolveRef({ url, ref: sha1.slice(0, 8) })).value,
      sha1,
      'a short id of an advertised tip (tag v1)',
    );
    const bad = await resolveRef({ url, ref: 'nope', address: 'runtime.x' });
    assert.is(bad.diags[0].code, 'github.ref-unknown');
    // Check out an older commit (not a tip): falls back to a full fetch when needed.
    const co = await checkoutCommit({ url, commit: sha1 });
    try {
      assert.is(co.commit, sha1);
    } finally {
      await co.cleanup();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
