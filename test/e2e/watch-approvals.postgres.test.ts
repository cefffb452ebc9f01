// The approval workflow end to end (watch-approvals.test.ts) again, with the CLI's state on a
// real PostgreSQL server: the CI apply, the watching host and the approval commands share it.
import { test } from 'uvu';
import { skip } from '../support/skip.js';
import { usePostgresStore } from '../support/stores.js';

if (await usePostgresStore('approvals e2e on PostgreSQL')) await import('./watch-approvals.test.js');
else {
  test('approvals e2e on PostgreSQL', () => skip('no PostgreSQL server (CF_TEST_DATABASE_URL)'));
  test.run();
}
