// `contextforge watch` end to end (watch.test.ts) again, with the CLI's state on a
// real PostgreSQL server.
import { test } from 'uvu';
import { skip } from '../support/skip.js';
import { usePostgresStore } from '../support/stores.js';

if (await usePostgresStore('watch e2e on PostgreSQL')) await import('./watch.test.js');
else {
  test('watch e2e on PostgreSQL', () => skip('no PostgreSQL server (CF_TEST_DATABASE_URL)'));
  test.run();
}
