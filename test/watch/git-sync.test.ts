// Git sync on real git: clone into .contextforge/git/<hash of the URL>, fetch the branch head
// with its author, move the work tree between commits, reuse the clone; credentials in URLs
// never reach messages.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cloneDir, displayUrl, openGitSync, scrubGitMessage } from '../../src/watch/git-sync.js';

const dir = mkdtempSync(join(tmpdir(), 'cf-git-sync-'));
const bare = join(dir, 'r.git');
const work = join(dir, 'work');
const git = (...a: string[]): string =>
  execFileSync('git', ['-c', 'user.name=Bob', '-c', 'user.email=bob@example.com', ...a], {
    cwd: work,
    encoding: 'utf8',
    stdio: 'pipe',
  }).trim();
function commit(body: string, msg: string): string {
  writeFileSync(join(work, 'contextforge.yaml'), body);
  git('add', '-A');
  git('commit', '-q', '-m', msg);
  git('push', '-q', 'origin', 'main');
  return git('rev-parse', 'HEAD');
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('clone, fetch head with author, checkout, reuse', async () => {
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
  mkdirSync(work);
  execFileSync('git', ['clone', '-q', bare, work], { stdio: 'pipe' });
  git('checkout', '-q', '-b', 'main');
  const a = commit('one\n', 'first');
  const host = join(dir, 'host');
  const url = `file://${bare}`;
  const sync = await openGitSync({ url, branch: 'main', baseDir: host });
  assert.is(sync.dir, cloneDir(host, url));
  assert.match(sync.dir, /\.contextforge\/git\/[0-9a-f]{16}$/);
  let head = await sync.fetchHead();
  assert.is(head.sha, a);
  assert.is(head.author, 'Bob <bob@example.com>');
  assert.is(head.subject, 'first');
  const b = commit('two\n', 'second');
  head = await sync.fetchHead();
  assert.is(head.sha, b);
  await sync.checkout(b);
  assert.is(readFileSync(join(sync.dir, 'contextforge.yaml'), 'utf8'), 'two\n');
  // Untracked files (the state beside the config) survive moving between commits.
  mkdirSync(join(sync.dir, '.contextforge'));
  writeFileSync(join(sync.dir, '.contextforge', 'state.db'), 'x');
  await sync.checkout(a);
  assert.is(readFileSync(join(sync.dir, 'contextforge.yaml'), 'utf8'), 'one\n');
  assert.ok(existsSync(join(sync.dir, '.contextforge', 'state.db')));
  const again = await openGitSync({ url, branch: 'main', baseDir: host });
  assert.is(again.dir, sync.dir);
  assert.is((await again.fetchHead()).sha, b);
});

test('a failed clone does not leak credentials', async () => {
  const url = 'https://user:s3cr3t-token@127.0.0.1:9/none.git';
  assert.is(displayUrl(url), 'https://127.0.0.1:9/none.git');
  let message = '';
  try {
    await openGitSync({ url, branch: 'main', baseDir: join(dir, 'h2') });
  } catch (err) {
    message = scrubGitMessage((err as Error).message, url);
  }
  assert.ok(message.length > 0, 'the clone failed');
  assert.not.ok(message.includes('s3cr3t-token'), message);
});

test.run();
