// Pure naming rules: federated names stay within the MCP tool-name pattern, long names are
// shortened with a stable hash, glob matching for virtual servers, the FIFO limiter order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  disambiguate,
  federatedName,
  globMatcher,
  markedUri,
  sanitizeName,
  TOOL_NAME_PATTERN,
} from '../../src/gateway/names.js';
import { Limiter } from '../../src/gateway/limiter.js';

test('plain names are <runtime><sep><tool>', () => {
  assert.is(federatedName('github', 'create_issue', '__'), 'github__create_issue');
  assert.is(federatedName('fs', 'read', '-'), 'fs-read');
});

test('characters outside the pattern are replaced', () => {
  assert.is(sanitizeName('my.server/v2'), 'my-server-v2');
  assert.is(federatedName('a b', 'tool.name', '__'), 'a-b__tool-name');
  assert.is(sanitizeName(''), 'x');
});

test('long names are cut to 64 with a stable 6-hex hash', () => {
  const rt = 'a-very-long-runtime-name-that-goes-on-and-on';
  const tool = 'and_a_tool_with_a_rather_long_descriptive_name_too';
  const n = federatedName(rt, tool, '__');
  assert.is(n.length, 64);
  assert.match(n, TOOL_NAME_PATTERN);
  assert.match(n, /-[0-9a-f]{6}$/);
  assert.is(federatedName(rt, tool, '__'), n, 'stable');
  assert.is.not(federatedName(rt, `${tool}2`, '__'), n, 'distinct');
});

test('disambiguation keeps the pattern', () => {
  const d = disambiguate('x'.repeat(64), 'rt', 'orig');
  assert.is(d.length, 64);
  assert.match(d, TOOL_NAME_PATTERN);
});

test('marked URIs keep a valid scheme', () => {
  const u = markedUri('My_Server', 'demo://x/1');
  assert.is(u, 'cf-my-server+demo://x/1');
  assert.match(u, /^[a-z][a-z0-9+.-]*:/);
});

test('glob matcher', () => {
  const m = globMatcher(['github__*', '*__echo', 'fs__read?']);
  assert.ok(m('github__create'));
  assert.ok(m('alpha__echo'));
  assert.ok(m('fs__read1'));
  assert.not.ok(m('fs__read12'));
  assert.not.ok(m('gitlab__x'));
  assert.not.ok(globMatcher(undefined)('anything'));
  assert.ok(globMatcher(['a.b'])('a.b'));
  assert.not.ok(globMatcher(['a.b'])('axb'));
});

test('limiter runs at most max at once, in FIFO order, and drops aborted waiters', async () => {
  const lim = new Limiter(2);
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const job = (i: number) => async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 5));
    order.push(i);
    running--;
    return i;
  };
  const ac = new AbortController();
  const ps = [0, 1, 2, 3, 4].map((i) => lim.run(job(i), i === 3 ? ac.signal : undefined));
  assert.is(lim.queued, 3);
  ac.abort();
  const results = await Promise.allSettled(ps);
  assert.is(results[3].status, 'rejected');
  assert.is(peak, 2);
  assert.equal(order, [0, 1, 2, 4]);
});

test.run();
