// The tally and the closing lines of a pass, from outcomes alone (issue 19): a replace counts
// once, as replaced, whatever status word the backend used; a change held for approval counts
// as held, never as what it would have done; a failure says how many of the actions did not
// complete.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { settledAs, tallyOutcomes } from '../../src/apply/outcome.js';
import { summaryLines } from '../../src/reconcile/summary.js';

test('a replace the backend reports as updated is settled as replaced', () => {
  assert.is(settledAs('replace', 'updated'), 'replaced');
  assert.is(settledAs('replace', 'created'), 'replaced');
  assert.is(settledAs('update', 'updated'), 'updated');
  assert.is(settledAs('delete', 'unchanged'), 'deleted');
  assert.is(settledAs('create', 'unchanged'), undefined);
  assert.is(settledAs('replace', 'held'), undefined);
  assert.is(settledAs('replace', 'failed'), undefined);
});

test('one replace is "1 replaced", not "1 updated, 1 replaced"', () => {
  const tally = tallyOutcomes([
    { action: 'replace', status: 'updated' },
    { action: 'noop', status: 'unchanged' },
  ]);
  assert.equal(summaryLines({ result: { tally, held: [], exitCode: 0, results: [], diags: [] }, changed: true }), [
    'Apply complete! Resources: 0 created, 0 updated, 1 replaced, 0 destroyed.',
  ]);
});

test('a replace held for approval is held, not replaced', () => {
  const tally = tallyOutcomes([
    { action: 'replace', status: 'held' },
    { action: 'create', status: 'created' },
  ]);
  assert.is(tally.replaced, 0);
  assert.is(tally.held, 1);
  assert.equal(
    summaryLines({ result: { tally, held: ['runtime.risky'], exitCode: 3, results: [], diags: [] }, changed: true }),
    ['Apply complete! Resources: 1 created, 0 updated, 0 destroyed.', '1 change(s) held for approval: runtime.risky'],
  );
});

test('failures and skips are counted against the acting changes', () => {
  const tally = tallyOutcomes([
    { action: 'create', status: 'failed' },
    { action: 'create', status: 'skipped' },
    { action: 'delete', status: 'deleted' },
  ]);
  assert.equal(
    summaryLines({ result: { tally, held: [], exitCode: 1, results: [], diags: [] }, destroy: true, changed: true }),
    ['Destroy failed: 2 of 3 actions did not complete; state records what did. Fix the cause and run it again.'],
  );
});

test('no changes: one line, per verb', () => {
  const tally = tallyOutcomes([{ action: 'noop', status: 'unchanged' }]);
  assert.equal(summaryLines({ result: { tally, held: [], exitCode: 0, results: [], diags: [] }, changed: false }), [
    'No changes. The live state matches the configuration.',
  ]);
  assert.equal(
    summaryLines({ result: { tally, held: [], exitCode: 0, results: [], diags: [] }, destroy: true, changed: false }),
    ['Nothing to destroy.'],
  );
});

test('deleted runtimes name the data volumes they kept: not after destroy --delete-volumes, always under a host', () => {
  const tally = tallyOutcomes([{ action: 'delete', status: 'deleted' }]);
  const lines = (flags: { deleteVolumes?: boolean; keepVolumes?: boolean }): string[] =>
    summaryLines({
      plan: {
        changes: [{ address: 'runtime.db', action: 'delete', observed: { volumes: ['cf-db-data'] }, ...flags }],
      } as never,
      result: {
        tally,
        held: [],
        exitCode: 0,
        results: [{ address: 'runtime.db', status: 'deleted' }] as never,
        diags: [],
      },
      destroy: true,
      changed: true,
    });
  const kept = 'Kept 1 data volume(s): cf-db-data\n  `contextforge destroy --delete-volumes` removes them.';
  assert.equal(lines({}), ['Destroy complete! Resources: 1 destroyed.', kept]);
  assert.equal(lines({ deleteVolumes: true }), ['Destroy complete! Resources: 1 destroyed.']);
  // A watching host keeps them even where the plan said to delete them, and says so.
  assert.equal(lines({ deleteVolumes: true, keepVolumes: true }), ['Destroy complete! Resources: 1 destroyed.', kept]);
});

test.run();
