// Saved plans: what `plan -out` writes (no secret values, both fingerprints) and the refusals
// of `apply FILE` when the config or the live state moved, or the file is not a plan.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSavedPlan, readSavedPlan, writeSavedPlan } from '../../src/apply/saved-plan.js';
import { makeRedactor } from '../../src/plan/redact.js';
import { scenario } from '../plan/plan-scenario.js';
import { TEST_SECRET } from '../plan/config-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'cf-saved-'));
const file = join(dir, 'plan.json');

test('a saved plan round-trips, carries fingerprints and no secret value', () => {
  const { plan } = scenario();
  writeSavedPlan(file, plan, { configPath: '/cfg/contextforge.yaml', redact: makeRedactor([`${TEST_SECRET}-new`]) });
  const text = readFileSync(file, 'utf8');
  assert.not.ok(text.includes(TEST_SECRET));
  const doc = readSavedPlan(file).value!;
  assert.is(doc.configFingerprint, plan.configFingerprint);
  assert.is(doc.liveFingerprint, plan.liveFingerprint);
  assert.is(doc.configPath, '/cfg/contextforge.yaml');
  assert.equal(checkSavedPlan(doc, plan, file), []);
});

test('apply FILE refuses a changed config, a moved live state, other changes, another stack', () => {
  const { plan } = scenario();
  writeSavedPlan(file, plan, { configPath: '/cfg/contextforge.yaml', redact: (t) => t });
  const doc = readSavedPlan(file).value!;
  const codes = (p: typeof plan): string[] => checkSavedPlan(doc, p, file).map((d) => `${d.code}: ${d.summary}`);
  assert.equal(codes({ ...plan, configFingerprint: 'sha256:other' }), [
    'plan.config-changed: saved plan is stale: the configuration changed since it was made',
  ]);
  assert.equal(codes({ ...plan, liveFingerprint: 'sha256:other' }), [
    'plan.stale: saved plan is stale: the live state changed since it was made',
  ]);
  assert.equal(
    codes({ ...plan, changes: plan.changes.slice(1) }).map((c) => c.split(':')[0]),
    ['plan.stale'],
  );
  assert.equal(
    codes({ ...plan, stack: 'elsewhere' }).map((c) => c.split(':')[0]),
    ['plan.wrong-stack'],
  );
  const detail = checkSavedPlan(doc, { ...plan, liveFingerprint: 'x' }, file)[0].detail!;
  assert.match(detail, /contextforge plan -out/);
});

test('a file that is not a plan is a diagnostic', () => {
  writeFileSync(join(dir, 'junk.json'), '{"hello": 1}');
  assert.equal(
    readSavedPlan(join(dir, 'junk.json')).diags.map((d) => d.code),
    ['plan.unsupported'],
  );
  assert.equal(
    readSavedPlan(join(dir, 'missing.json')).diags.map((d) => d.code),
    ['plan.unreadable'],
  );
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
