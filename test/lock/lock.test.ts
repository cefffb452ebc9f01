// The lock's pure parts: canonical definition hashes (field order and unpinned fields do not
// matter, pinned ones do), the surface diff a reviewer reads (added, removed, description word
// diff, schema paths, annotations), the file round trip with a stable text, a hand-edited hash
// refused, and the staleness check; plus the surface client declaring what the gateway declares.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definitionHash, diffSurface, surfaceDiffLines, surfaceOf } from '../../src/model/tool-surface.js';
import { formatLock, lockPathFor, readLock, writeLock, type LockFile } from '../../src/lock/file.js';
import { lockProblems } from '../../src/lock/check.js';
import { SURFACE_CLIENT_CAPABILITIES } from '../../src/backends/surface-client.js';
import { GATEWAY_CLIENT_CAPABILITIES } from '../../src/gateway/link.js';

const echo = {
  name: 'echo',
  description: 'Echoes back the input string',
  inputSchema: { type: 'object', properties: { message: { type: 'string' } } },
  annotations: { readOnlyHint: true, destructiveHint: false },
};

test('the hash covers the pinned fields in canonical order, nothing else', () => {
  const reordered = {
    annotations: { destructiveHint: false, readOnlyHint: true },
    inputSchema: echo.inputSchema,
    description: echo.description,
    name: 'echo',
  };
  assert.is(definitionHash('tools', reordered), definitionHash('tools', echo));
  assert.is(definitionHash('tools', { ...echo, _meta: { x: 1 }, icons: [] }), definitionHash('tools', echo));
  assert.is.not(
    definitionHash('tools', { ...echo, description: `${echo.description}.` }),
    definitionHash('tools', echo),
  );
  assert.is.not(
    definitionHash('tools', { ...echo, annotations: { ...echo.annotations, destructiveHint: true } }),
    definitionHash('tools', echo),
  );
  assert.match(definitionHash('tools', echo), /^sha256:[0-9a-f]{64}$/);
});

test('the surface diff names added and removed items, the description word diff, schema paths and annotations', () => {
  const before = surfaceOf({
    tools: [echo, { name: 'old', inputSchema: { type: 'object' } }],
    prompts: [],
    resources: [],
    templates: [],
  });
  const after = surfaceOf({
    tools: [
      {
        ...echo,
        description: 'Echoes back the input string and mails a copy',
        inputSchema: { type: 'object', properties: { message: { type: 'string' }, to: { type: 'string' } } },
        annotations: { readOnlyHint: true, destructiveHint: true },
      },
      { name: 'send', description: 'Sends it', inputSchema: { type: 'object' } },
    ],
    prompts: [],
    resources: [{ uri: 'file:///etc/passwd', name: 'passwd' }],
    templates: [],
  });
  const d = diffSurface(before, after);
  assert.equal(
    d.added.map((a) => `${a.kind}:${a.key}`),
    ['tools:send', 'resources:file:///etc/passwd'],
  );
  assert.equal(
    d.removed.map((a) => a.key),
    ['old'],
  );
  assert.is(d.changed.length, 1);
  const c = d.changed[0];
  assert.equal(c.schemaPaths, ['inputSchema.properties.to']);
  assert.equal(c.annotations, [{ key: 'destructiveHint', before: false, after: true }]);
  const lines = surfaceDiffLines(d).join('\n');
  assert.match(lines, '+ tool send added: "Sends it"');
  assert.match(lines, '- tool old removed');
  assert.match(lines, 'description: Echoes back the input string {+and mails a copy+}');
  assert.match(lines, 'annotation destructiveHint: false → true');
  assert.equal(diffSurface(after, after), { added: [], removed: [], changed: [] });
});

test('the lock file round-trips with a stable text; a hand-edited hash is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cf-lock-unit-'));
  try {
    const path = lockPathFor(join(dir, 'contextforge.yaml'));
    assert.is(path, join(dir, 'contextforge.lock'));
    assert.equal(readLock(path), { value: undefined, diags: [] }, 'no file: no lock, no diagnostic');
    const lock: LockFile = {
      stack: 'demo',
      runtimes: {
        b: { artifact: { type: 'command', ref: 'npx -y pkg@1.2.3', digest: 'pkg@1.2.3' } },
        a: {
          artifact: { type: 'docker', ref: 'img:latest', digest: 'sha256:abc' },
          surface: surfaceOf({ tools: [echo], prompts: [], resources: [], templates: [] }),
        },
      },
    };
    assert.ok(writeLock(path, lock));
    assert.not.ok(writeLock(path, lock), 'the same content is not rewritten');
    const text = readFileSync(path, 'utf8');
    assert.ok(text.indexOf('  a:') < text.indexOf('  b:'), 'runtimes are sorted');
    const back = readLock(path);
    assert.equal(back.diags, []);
    assert.is(formatLock(back.value!), text, 'read then written gives the same text');
    writeFileSync(path, text.replace('Echoes back the input string', 'Echoes back and exfiltrates'));
    const edited = readLock(path);
    assert.is(edited.value, undefined);
    assert.match(edited.diags[0].summary, 'the hash does not match the definition');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lockProblems: a moved digest, a new ref, a runtime missing or extra', () => {
  const lock: LockFile = {
    stack: 's',
    runtimes: {
      a: { artifact: { type: 'docker', ref: 'img:latest', digest: 'sha256:1' } },
      gone: { artifact: { type: 'docker', ref: 'x:1', digest: 'sha256:9' } },
    },
  };
  assert.equal(
    lockProblems(lock, { a: { type: 'docker', ref: 'img:latest', digest: 'sha256:1' } }).map((p) => p.runtime),
    ['gone'],
  );
  const problems = lockProblems(lock, {
    a: { type: 'docker', ref: 'img:latest', digest: 'sha256:2' },
    b: { type: 'docker', ref: 'y:1', digest: 'sha256:3' },
  });
  assert.equal(
    problems.map((p) => `${p.runtime}: ${p.why}`),
    [
      'a: img:latest now resolves to sha256:2, the lock pins sha256:1',
      'b: it is not in the lock',
      'gone: it is in the lock but no longer in the config',
    ],
  );
  assert.equal(lockProblems(undefined, { a: { type: 'docker', ref: 'i' } }), [
    { runtime: 'a', why: 'there is no lock file' },
  ]);
});

test('discovery declares the client capabilities the gateway declares (it must see the same surface)', () => {
  assert.equal(SURFACE_CLIENT_CAPABILITIES, GATEWAY_CLIENT_CAPABILITIES);
});

test.run();
