// `status` joins a live observe with state and config: which runtimes are in sync, drifted,
// missing, or left over (not in config), with uptime from the live start time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { joinStatus } from '../../src/apply/live-status.js';
import { recordFrom, observedFrom, scenario } from '../plan/plan-scenario.js';

test('joinStatus reports in-sync, drifted, missing and unconfigured runtimes', () => {
  const { desired } = scenario();
  const [a, b, c] = desired;
  const now = Date.parse('2026-01-02T03:05:05.000Z');
  const rows = joinStatus({
    observed: [
      observedFrom(a, { startedAt: '2026-01-02T03:04:05.000Z', restarts: 2 }),
      observedFrom(b, { specHash: 'sha256:old' }),
      { address: 'runtime.zulu', runtime: 'zulu', backend: 'local', live: {}, status: 'running' },
    ],
    records: [recordFrom(c)],
    desired: [a, b, c].map((d) => ({
      address: d.address,
      runtime: d.runtime,
      backend: d.backend,
      specHash: d.specHash,
      warnings: d.runtime === 'alpha' ? ['w1'] : [],
    })),
    now,
  });
  const by = Object.fromEntries(rows.map((r) => [r.runtime, r]));
  assert.is(by.alpha.inSync, true);
  assert.is(by.alpha.uptimeSeconds, 60);
  assert.is(by.alpha.restarts, 2);
  assert.equal(by.alpha.warnings, ['w1']);
  assert.is(by.alpha.endpoint, 'http://127.0.0.1:49153/mcp');
  assert.is(by.bravo.inSync, false);
  assert.is(by[c.runtime].state, 'missing');
  assert.is(by.zulu.configured, false);
});

test.run();
